package qeff

// Cancellation through context.Context (a libqeff token per call, requested
// by context.AfterFunc) and the raw qeff_cancel token: a token requested
// before a call stops load, compile, export, save, package load, generate
// and stream creation at once and writes nothing; a context cancelled by
// another goroutine during a call stops it or the call completes first; the
// handles stay usable; reset re-arms a token. No timing assertions.

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	capi "qeff.dev/qeff/internal/capi"
)

// The helpers of this file have the prefix cx; from helpers_test.go it uses
// only must, catch, noErr, equalIDs and readJSON.

func cxModel(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("QEFF_FIXTURES")
	if dir == "" {
		t.Skip("QEFF_FIXTURES is not set (run the tests through meson test)")
	}
	return filepath.Join(dir, "models", name)
}

// cxReference is tests/fixtures/reference/llama-tiny.json's greedy generation.
type cxReference struct {
	GenerateSingle struct {
		Prompt      string  `json:"prompt"`
		NewTokenIDs []int32 `json:"new_token_ids"`
	} `json:"generate_single"`
}

func cxSingle(t *testing.T) (string, []int32) {
	t.Helper()
	var ref cxReference
	readJSON(t, filepath.Join(filepath.Dir(cxModel(t, "llama-tiny")), "..", "reference", "llama-tiny.json"), &ref)
	return ref.GenerateSingle.Prompt, ref.GenerateSingle.NewTokenIDs
}

// cxLM is llama-tiny with room for 200 new tokens, and its model.
func cxLM(t *testing.T) (*Model, *Program) {
	t.Helper()
	m, err := Load(cxModel(t, "llama-tiny"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	p, err := m.Compile(WithPrefillSeqLen(8), WithCtxLen(256), WithThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return m, p
}

var cxLong = []Option{WithMaxNewTokens(200), WithOption("generate.ignore_eos", true)}

// cxIsCancelled: the error of a call stopped by ctx.
func cxIsCancelled(t *testing.T, what string, err, cause error) {
	t.Helper()
	if !errors.Is(err, ErrCancelled) || !errors.Is(err, cause) || CodeOf(err) != Cancelled {
		t.Errorf("%s: got %v, want ErrCancelled wrapping %v", what, err, cause)
	}
}

// cxFiles lists every path under root.
func cxFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func cxGreedy(t *testing.T, p *Program, ctx context.Context, n int) []int32 {
	t.Helper()
	prompt, _ := cxSingle(t)
	res, err := p.Generate(ctx, []string{prompt}, WithMaxNewTokens(n))
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return res.Rows[0].Tokens
}

func TestCancelTokenRaw(t *testing.T) {
	var tok cCancel
	noErr(t, check("qeff_cancel_create", capi.Qeff_cancel_create(&tok)))
	defer capi.Qeff_cancel_free(tok)
	requested := func() bool {
		var v int32 = -1
		noErr(t, check("qeff_cancel_is_requested", capi.Qeff_cancel_is_requested(tok, &v)))
		return v != 0
	}
	if requested() {
		t.Error("a new token is requested")
	}
	noErr(t, check("qeff_cancel_request", capi.Qeff_cancel_request(tok)))
	noErr(t, check("qeff_cancel_request", capi.Qeff_cancel_request(tok))) // idempotent
	if !requested() {
		t.Error("not requested after qeff_cancel_request")
	}

	var o cOptions
	noErr(t, check("qeff_options_create", capi.Qeff_options_create(&o)))
	defer capi.Qeff_options_free(o)
	noErr(t, check("qeff_options_set_cancel", capi.Qeff_options_set_cancel(o, tok)))
	var m cModel
	st := capi.Qeff_model_load(cxModel(t, "llama-tiny"), o, &m)
	if Code(st.Code) != Cancelled || st.Message == "" || m != 0 {
		t.Errorf("load with a requested token: %+v (model %v)", st, m)
	}

	// Reset re-arms the token: the same options load.
	noErr(t, check("qeff_cancel_reset", capi.Qeff_cancel_reset(tok)))
	if requested() {
		t.Error("still requested after qeff_cancel_reset")
	}
	noErr(t, check("Load", capi.Qeff_model_load(cxModel(t, "llama-tiny"), o, &m)))
	capi.Qeff_model_free(m)

	// Detached (NULL): a requested token no longer applies.
	noErr(t, check("qeff_cancel_request", capi.Qeff_cancel_request(tok)))
	noErr(t, check("qeff_options_set_cancel", capi.Qeff_options_set_cancel(o, cCancel(0))))
	noErr(t, check("Load", capi.Qeff_model_load(cxModel(t, "llama-tiny"), o, &m)))
	capi.Qeff_model_free(m)
}

// A requested token stops each of the nine calls at once (through the raw
// layer, since a done context never reaches C) and nothing is written.
func TestCancelRequestedTokenStopsEveryCall(t *testing.T) {
	defer catch(t)
	m, p := cxLM(t)
	dir := t.TempDir()
	onnx, pkg := filepath.Join(dir, "onnx"), filepath.Join(dir, "package")
	noErr(t, m.Export(onnx))
	noErr(t, p.Save(pkg))
	before := cxFiles(t, dir)

	var tok cCancel
	noErr(t, check("qeff_cancel_create", capi.Qeff_cancel_create(&tok)))
	defer capi.Qeff_cancel_free(tok)
	noErr(t, check("qeff_cancel_request", capi.Qeff_cancel_request(tok)))
	prompt, _ := cxSingle(t)
	req := must(NewRequest())
	defer req.Close()
	noErr(t, req.AddText(prompt))

	opts := []Option{WithPrefillSeqLen(8), WithCtxLen(64), WithCache(false, ""),
		WithOption("export.overwrite", true), WithOption("package.overwrite", true)}
	calls := map[string]func(cOptions) capi.Status{
		"qeff_model_load": func(o cOptions) capi.Status {
			var out cModel
			return capi.Qeff_model_load(cxModel(t, "llama-tiny"), o, &out)
		},
		"qeff_tokenizer_load": func(o cOptions) capi.Status {
			var out cTokenizer
			return capi.Qeff_tokenizer_load(cxModel(t, "llama-tiny"), o, &out)
		},
		"qeff_compile": func(o cOptions) capi.Status {
			var out cProgram
			return capi.Qeff_compile(m.h.p, o, &out)
		},
		"qeff_compile_onnx": func(o cOptions) capi.Status {
			var out cProgram
			return capi.Qeff_compile_onnx(filepath.Join(onnx, "model.onnx"), o, &out)
		},
		"qeff_export":        func(o cOptions) capi.Status { return capi.Qeff_export(m.h.p, filepath.Join(dir, "new-onnx"), o) },
		"qeff_export (over)": func(o cOptions) capi.Status { return capi.Qeff_export(m.h.p, onnx, o) },
		"qeff_program_save": func(o cOptions) capi.Status {
			return capi.Qeff_program_save(p.h.p, filepath.Join(dir, "new-package"), o)
		},
		"qeff_program_save (over)": func(o cOptions) capi.Status { return capi.Qeff_program_save(p.h.p, pkg, o) },
		"qeff_program_load": func(o cOptions) capi.Status {
			var out cProgram
			return capi.Qeff_program_load(pkg, o, &out)
		},
		"qeff_generate": func(o cOptions) capi.Status {
			var out cResult
			return capi.Qeff_generate(p.h.p, req.h.p, o, &out)
		},
		"qeff_stream_create": func(o cOptions) capi.Status {
			var out cStream
			return capi.Qeff_stream_create(p.h.p, req.h.p, o, &out)
		},
	}
	for name, call := range calls {
		var st capi.Status
		noErr(t, withCOptionsCancel(name, opts, tok, func(o cOptions) error { st = call(o); return nil }))
		if Code(st.Code) != Cancelled || st.Message == "" {
			t.Errorf("%s with a requested token: %+v", name, st)
		}
	}
	if after := cxFiles(t, dir); !slices.Equal(before, after) {
		t.Errorf("cancelled calls wrote files:\nbefore %v\nafter  %v", before, after)
	}
	// The handles are unchanged.
	_, want := cxSingle(t)
	if got := cxGreedy(t, p, context.Background(), 8); !slices.Equal(got, want[:8]) {
		t.Errorf("generation after the cancelled calls: %v, want %v", got, want[:8])
	}
	loaded := must(LoadProgram(pkg))
	defer loaded.Close()
	if got := cxGreedy(t, loaded, context.Background(), 8); !slices.Equal(got, want[:8]) {
		t.Errorf("package after a cancelled overwrite: %v, want %v", got, want[:8])
	}
}

// A context done before the call: every cancellable call returns at once
// with an error matching ErrCancelled and ctx.Err(), and writes nothing.
func TestCancelDoneContextStopsEveryCall(t *testing.T) {
	defer catch(t)
	m, p := cxLM(t)
	dir := t.TempDir()
	prompt, _ := cxSingle(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	deadline, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()

	for _, c := range []struct {
		ctx   context.Context
		cause error
	}{{ctx, context.Canceled}, {deadline, context.DeadlineExceeded}} {
		_, err := LoadContext(c.ctx, cxModel(t, "llama-tiny"))
		cxIsCancelled(t, "LoadContext", err, c.cause)
		_, err = LoadTokenizerContext(c.ctx, cxModel(t, "llama-tiny"))
		cxIsCancelled(t, "LoadTokenizerContext", err, c.cause)
		_, err = m.CompileContext(c.ctx, WithPrefillSeqLen(8), WithCtxLen(64))
		cxIsCancelled(t, "CompileContext", err, c.cause)
		cxIsCancelled(t, "ExportContext", m.ExportContext(c.ctx, filepath.Join(dir, "onnx")), c.cause)
		cxIsCancelled(t, "SaveContext", p.SaveContext(c.ctx, filepath.Join(dir, "package")), c.cause)
		_, err = CompileONNXContext(c.ctx, filepath.Join(dir, "onnx", "model.onnx"))
		cxIsCancelled(t, "CompileONNXContext", err, c.cause)
		_, err = LoadProgramContext(c.ctx, filepath.Join(dir, "package"))
		cxIsCancelled(t, "LoadProgramContext", err, c.cause)
		_, err = p.Generate(c.ctx, []string{prompt})
		cxIsCancelled(t, "Generate", err, c.cause)
		_, err = p.Stream(c.ctx, []string{prompt})
		cxIsCancelled(t, "Stream", err, c.cause)
	}
	if files := cxFiles(t, dir); len(files) != 0 {
		t.Errorf("cancelled calls wrote %v", files)
	}
	var e *Error
	if _, err := LoadContext(ctx, "x"); !errors.As(err, &e) || e.Op != "Load" || e.Err != context.Canceled {
		t.Errorf("LoadContext: %#v", err)
	}
}

// A context cancelled by another goroutine during a 200-token generation:
// the call completes or stops with ErrCancelled + context.Canceled; the
// program gives the same greedy output afterwards.
func TestCancelContextDuringGeneration(t *testing.T) {
	defer catch(t)
	_, p := cxLM(t)
	prompt, want := cxSingle(t)
	for _, delay := range []time.Duration{0, 2 * time.Millisecond, 20 * time.Millisecond} {
		ctx, cancel := context.WithCancel(context.Background())
		timer := time.AfterFunc(delay, cancel)
		res, err := p.Generate(ctx, []string{prompt}, cxLong...)
		if err != nil {
			cxIsCancelled(t, "Generate", err, context.Canceled)
		} else if n := len(res.Rows[0].Tokens); n != 200 {
			t.Errorf("a completed generation has %d tokens", n)
		}
		<-ctx.Done()
		timer.Stop()
		cancel()
	}
	// A deadline: DeadlineExceeded instead.
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if _, err := p.Generate(ctx, []string{prompt}, cxLong...); err != nil {
		cxIsCancelled(t, "Generate (deadline)", err, context.DeadlineExceeded)
	}
	if got := cxGreedy(t, p, context.Background(), 8); !slices.Equal(got, want[:8]) {
		t.Errorf("generation after a cancel: %v, want %v", got, want[:8])
	}
}

// One context shared by concurrent generations cancels all of them.
func TestCancelContextSharedByGoroutines(t *testing.T) {
	defer catch(t)
	_, p := cxLM(t)
	prompt, _ := cxSingle(t)
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 3)
	for i := 0; i < 3; i++ {
		go func() {
			res, err := p.Generate(ctx, []string{prompt}, cxLong...)
			if err == nil && len(res.Rows[0].Tokens) != 200 {
				err = errors.New("a completed generation is short")
			}
			errs <- err
		}()
	}
	cancel()
	for i := 0; i < 3; i++ {
		if err := <-errs; err != nil {
			cxIsCancelled(t, "Generate", err, context.Canceled)
		}
	}
}

// Compiles run back to back until another goroutine cancels the context:
// the compile running then (or the next one, before it starts) fails.
func TestCancelCompileLoop(t *testing.T) {
	defer catch(t)
	m, _ := cxLM(t)
	ctx, start := cancelOnceStarted()
	var err error
	for err == nil {
		start()
		var p *Program
		if p, err = m.CompileContext(ctx, WithPrefillSeqLen(8), WithCtxLen(64), WithCache(false, "")); err == nil {
			p.Close()
		}
	}
	cxIsCancelled(t, "CompileContext", err, context.Canceled)
	p := must(m.CompileContext(context.Background(), WithPrefillSeqLen(8), WithCtxLen(64), WithCache(false, "")))
	defer p.Close()
	_, want := cxSingle(t)
	if got := cxGreedy(t, p, context.Background(), 4); !slices.Equal(got, want[:4]) {
		t.Errorf("compile after a cancel: %v, want %v", got, want[:4])
	}
}

// Exports over an earlier export, back to back until the context is
// cancelled: the cancelled one leaves the same files (no temporary ones)
// and the export still compiles.
func TestCancelExportLoopLeavesNoPartialFiles(t *testing.T) {
	defer catch(t)
	m, _ := cxLM(t)
	dir := filepath.Join(t.TempDir(), "onnx")
	noErr(t, m.Export(dir))
	before := cxFiles(t, filepath.Dir(dir))
	ctx, start := cancelOnceStarted()
	var err error
	for err == nil {
		start()
		err = m.ExportContext(ctx, dir, WithOption("export.overwrite", true))
	}
	cxIsCancelled(t, "ExportContext", err, context.Canceled)
	if after := cxFiles(t, filepath.Dir(dir)); !slices.Equal(before, after) {
		t.Errorf("files after a cancelled export: %v, want %v", after, before)
	}
	p := must(CompileONNX(filepath.Join(dir, "model.onnx"), WithPrefillSeqLen(8), WithCtxLen(64)))
	p.Close()
}

// An embedding call honours the context too (between batches).
func TestCancelEmbed(t *testing.T) {
	defer catch(t)
	m := must(Load(cxModel(t, "bert-tiny")))
	defer m.Close()
	p := must(m.Compile(WithSeqLen(16)))
	defer p.Close()
	texts := make([]string, 64)
	for i := range texts {
		texts[i] = "Hello world!"
	}
	ctx, cancel := context.WithCancel(context.Background())
	go cancel()
	if rows, err := p.Embed(ctx, texts); err != nil {
		cxIsCancelled(t, "Embed", err, context.Canceled)
	} else if len(rows) != len(texts) {
		t.Errorf("Embed: %d rows", len(rows))
	}
	if rows := must(p.Embed(context.Background(), texts[:2])); len(rows) != 2 {
		t.Errorf("Embed after a cancel: %d rows", len(rows))
	}
}

// A context that another goroutine cancels once start has been called (any
// number of calls): the loop under test is already running when it happens.
func cancelOnceStarted() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	go func() {
		<-started
		cancel()
	}()
	var once sync.Once
	return ctx, func() { once.Do(func() { close(started) }) }
}
