package qeff

// Text generation: batches, concurrency, streaming, cancellation through
// context.Context and Stream.Cancel, stop strings and sampling; text with
// NUL inside and invalid UTF-8 through the tokenizer and generation.

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestGenerateBatch(t *testing.T) {
	defer catch(t)
	var ref lmRef
	reference(t, "llama-tiny", &ref)
	g := ref.GenerateBatch
	p := sharedProgram(t, "llama-tiny", "batch2", WithBatchSize(2), WithPrefillSeqLen(8), WithCtxLen(64))
	for _, ctx := range []context.Context{context.Background(), cancellable(t)} {
		res := must(p.Generate(ctx, g.Prompts, WithMaxNewTokens(g.MaxNewTokens)))
		if len(res.Rows) != len(g.Prompts) {
			t.Fatalf("%d rows", len(res.Rows))
		}
		for i, row := range res.Rows {
			if !slices.Equal(row.Tokens, g.NewTokenIDs[i]) {
				t.Errorf("row %d = %v, want %v", i, row.Tokens, g.NewTokenIDs[i])
			}
		}
		if res.Stats.GeneratedTokens != 2*g.MaxNewTokens || !(res.Stats.DecodeTokensPerSec > 0) ||
			res.Stats.All["rows"] != 2 || len(res.Texts()) != 2 {
			t.Errorf("stats %+v", res.Stats)
		}
	}
}

// cancellable is a context that can be cancelled (so Generate streams) but is not.
func cancellable(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx
}

// Several goroutines share one Program, each generating; the race detector
// (go test -race) checks the binding's own state.
func TestConcurrentGenerate(t *testing.T) {
	defer catch(t)
	v := loadVectors(t)
	p := lmProgram(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 3; i++ {
				ctx := context.Background()
				if (g+i)%2 == 1 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithCancel(ctx)
					defer cancel()
				}
				res, err := p.Generate(ctx, []string{v.LM.Prompt}, WithMaxNewTokens(v.LM.MaxNew))
				if err != nil {
					errs <- err
					return
				}
				if !slices.Equal(res.Rows[0].Tokens, v.LM.NewIDs) {
					errs <- errors.New("a concurrent generation differs from the reference")
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func longProgram(t *testing.T) *Program {
	return sharedProgram(t, "llama-tiny", "long", WithPrefillSeqLen(8), WithCtxLen(256))
}

var longGen = []Option{WithMaxNewTokens(240), WithOption("generate.ignore_eos", true)}

func TestCancelWithDeadline(t *testing.T) {
	defer catch(t)
	p := longProgram(t)
	prompt := loadVectors(t).LM.Prompt

	// Already past its deadline: nothing runs.
	done, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-done.Done()
	_, err := p.Generate(done, []string{prompt})
	if !errors.Is(err, ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("expired context: %v", err)
	}

	// A deadline in the middle of a 240-token generation.
	ctx, cancel2 := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel2()
	start := time.Now()
	res, err := p.Generate(ctx, []string{prompt}, longGen...)
	if err == nil {
		t.Skipf("the generation of %d tokens ended before the 5 ms deadline", len(res.Rows[0].Tokens))
	}
	if !errors.Is(err, ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) || CodeOf(err) != Cancelled {
		t.Errorf("deadline: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("cancellation took %v", time.Since(start))
	}
	// The program stays usable.
	v := loadVectors(t)
	if res := must(lmProgram(t).Generate(context.Background(), []string{v.LM.Prompt}, WithMaxNewTokens(v.LM.MaxNew))); !slices.Equal(res.Rows[0].Tokens, v.LM.NewIDs) {
		t.Error("generation after a cancel differs")
	}
}

func TestStreamCancel(t *testing.T) {
	defer catch(t)
	v := loadVectors(t)
	p := longProgram(t)

	// Cancelling the context after the first event stops the stream; the
	// partial result is readable and a prefix of the greedy reference.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := must(p.Stream(ctx, []string{v.LM.Prompt}, longGen...))
	defer s.Close()
	var ids []int32
	for ev := range s.Events() {
		if ev.Token >= 0 {
			ids = append(ids, ev.Token)
		}
		if len(ids) == 3 {
			cancel()
		}
	}
	err := s.Err()
	if !errors.Is(err, ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Err() = %v", err)
	}
	if s.Next() {
		t.Error("Next after the end")
	}
	res := must(s.Result())
	row := res.Rows[0]
	// The producer may run ahead of this goroutine's cancel, past the
	// reference's 32 tokens: compare the part the reference holds.
	known := min(len(row.Tokens), len(v.LM.NewIDs))
	if row.FinishReason != FinishCancelled || len(row.Tokens) < 3 || len(row.Tokens) >= 240 ||
		!slices.Equal(row.Tokens[:known], v.LM.NewIDs[:known]) || !slices.Equal(ids, row.Tokens) {
		t.Errorf("cancelled row: %s, %d tokens %v", row.FinishReason, len(row.Tokens), row.Tokens)
	}

	// Stream.Cancel from another goroutine while this one pulls.
	s2 := must(p.Stream(context.Background(), []string{v.LM.Prompt}, longGen...))
	if _, err := s2.Output(); !errors.Is(err, ErrState) {
		t.Errorf("Output before the end: %v", err)
	}
	// The model runs only inside Next, and this tiny one generates its 240
	// tokens in a few ms: this goroutine waits for the cancel after the
	// first event, or the stream could end before the cancel lands.
	started, cancelled := make(chan struct{}), make(chan struct{})
	go func() {
		<-started
		noErr(t, s2.Cancel())
		close(cancelled)
	}()
	n := 0
	for s2.Next() {
		if n++; n == 1 {
			close(started)
			<-cancelled
		}
	}
	if !errors.Is(s2.Err(), ErrCancelled) || errors.Is(s2.Err(), context.Canceled) {
		t.Errorf("Stream.Cancel: %v", s2.Err())
	}
	noErr(t, s2.Close())

	// Close from another goroutine while a Next may be in flight.
	s3 := must(p.Stream(context.Background(), []string{v.LM.Prompt}, longGen...))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for s3.Next() {
		}
	}()
	time.Sleep(2 * time.Millisecond)
	noErr(t, s3.Close())
	wg.Wait()
	if err := s3.Err(); err != nil && !errors.Is(err, ErrInvalidHandle) {
		t.Errorf("Next racing Close: %v", err)
	}
	if _, err := s3.Result(); !errors.Is(err, ErrInvalidHandle) {
		t.Errorf("Result after Close: %v", err)
	}
}

func TestGenerateOptions(t *testing.T) {
	defer catch(t)
	v := loadVectors(t)
	p := lmProgram(t)
	ctx := context.Background()
	greedy := must(p.Generate(ctx, []string{v.LM.Prompt}, WithMaxNewTokens(v.LM.MaxNew)))
	text := greedy.Rows[0].Text

	// A stop string cuts the text before it.
	// (an ASCII word of the greedy text: the fixture's text is mostly byte tokens).
	if stop := regexp.MustCompile(`[a-z]{3,}`).FindString(text); stop != "" {
		res := must(p.Generate(ctx, []string{v.LM.Prompt}, WithMaxNewTokens(v.LM.MaxNew), WithStop(stop)))
		row := res.Rows[0]
		if row.FinishReason != FinishStop || strings.Contains(row.Text, stop) || !strings.HasPrefix(text, row.Text) {
			t.Errorf("stop %q: %s %q (greedy %q)", stop, row.FinishReason, row.Text, text)
		}
	}

	// Sampling: the same seed gives the same text; the streamed pieces
	// concatenate to it.
	a := must(p.Generate(ctx, []string{v.LM.Prompt}, WithMaxNewTokens(16), WithSampling(7, 0.8, 0.9)))
	b := must(p.Generate(cancellable(t), []string{v.LM.Prompt}, WithMaxNewTokens(16), WithSampling(7, 0.8, 0.9)))
	if a.Rows[0].Text != b.Rows[0].Text || !slices.Equal(a.Rows[0].Tokens, b.Rows[0].Tokens) {
		t.Errorf("seed 7 gave %q and %q", a.Rows[0].Text, b.Rows[0].Text)
	}

	// Token-id prompts through a Request give the text prompt's generation.
	req := must(NewRequest())
	defer req.Close()
	noErr(t, req.AddTokens(v.LM.PromptIDs))
	out := must(p.Run(ctx, req, WithMaxNewTokens(v.LM.MaxNew)))
	defer out.Close()
	if ids := must(out.Tokens(0)); !slices.Equal(ids, v.LM.NewIDs) {
		t.Errorf("token prompt: %v", ids)
	}
	if got := must(out.Text(0)); got != text {
		t.Errorf("Output.Text = %q, want %q", got, text)
	}
	if r := must(out.FinishReason(0)); r != FinishLength {
		t.Errorf("FinishReason = %s", r)
	}
	if ttft := must(out.Stat("ttft_ms")); !(ttft > 0) {
		t.Errorf("ttft_ms = %v", ttft)
	}
	if _, err := out.Text(1); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Text(row out of range): %v", err)
	}
	stream := must(p.StreamRequest(ctx, req, WithMaxNewTokens(v.LM.MaxNew)))
	noErr(t, req.Close()) // the stream keeps its own copy
	var sb strings.Builder
	for ev := range stream.Events() {
		sb.WriteString(ev.Text)
	}
	if sb.String() != text || stream.Err() != nil {
		t.Errorf("StreamRequest text %q, err %v", sb.String(), stream.Err())
	}
	noErr(t, stream.Close())
	noErr(t, stream.Close())

	if _, err := p.Generate(ctx, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("no prompts: %v", err)
	}
	if _, err := p.Generate(ctx, []string{"x"}, WithOption("generate.max_new_tokens", -1)); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("negative max_new_tokens: %v", err)
	}
}

// Text inputs at the binding's edge (RELIABILITY B8.67): Go strings go down
// to libqeff as (pointer, length), never as C strings, so a NUL is an
// ordinary character (llama-tiny's byte token <0x00>) through every call
// that takes text: Tokenizer.Encode and EncodeBatch, Request.AddText,
// Generate (blocking, and streamed when the context can be cancelled) and
// Stream. A Go string cannot hold a lone UTF-16 surrogate; its 3-byte
// encoding is invalid UTF-8, which is ErrInvalidArgument, and the handles
// stay usable.

const nulText = "a\x00b\x00\x00c \U0001F44B\x00"

func countID(ids []int32, id int32) int {
	n := 0
	for _, x := range ids {
		if x == id {
			n++
		}
	}
	return n
}

func TestNULInsideTextIsACharacter(t *testing.T) {
	defer catch(t)
	tok := must(LoadTokenizer(modelDir(t, "llama-tiny")))
	defer tok.Close()
	nul := must(tok.TokenToID("<0x00>"))
	enc := must(tok.Encode(nulText))
	if n := countID(enc.IDs, nul); n != strings.Count(nulText, "\x00") {
		t.Errorf("Encode(%q) = %v: %d NUL tokens", nulText, enc.IDs, n)
	}
	if last := enc.Offsets[len(enc.Offsets)-1]; last != [2]int{len(nulText) - 1, len(nulText)} {
		t.Errorf("last offsets %v, want the final NUL byte", last)
	}
	if got := must(tok.Decode(enc.IDs, true)); got != nulText {
		t.Errorf("Decode = %q, want %q", got, nulText)
	}
	dec := must(tok.NewDecoder(true))
	defer dec.Close()
	var b strings.Builder
	for _, id := range enc.IDs {
		b.WriteString(must(dec.Step(id)))
	}
	if b.WriteString(must(dec.Finish())); b.String() != nulText {
		t.Errorf("decoder pieces %q, want %q", b.String(), nulText)
	}
	rows := must(tok.EncodeBatch([]string{nulText, "x", "\x00"}))
	if !slices.Equal(rows[0].IDs, enc.IDs) || rows[2].IDs[len(rows[2].IDs)-1] != nul {
		t.Errorf("EncodeBatch rows %v %v", rows[0].IDs, rows[2].IDs)
	}
	req := requestOf(t, nulText, "\x00")
	noErr(t, req.AddTextPair("q\x00", "\x00d"))
	if n := must(req.NumRows()); n != 3 {
		t.Errorf("request rows %d", n)
	}
}

func TestNULInsideAPromptGeneratesAsItsTokens(t *testing.T) {
	defer catch(t)
	v := loadVectors(t)
	p := lmProgram(t)
	prompt := strings.Replace(v.LM.Prompt, " ", "\x00", 2) + "\x00"
	tok := must(p.Tokenizer())
	defer tok.Close()
	ids := must(tok.Encode(prompt)).IDs
	if countID(ids, must(tok.TokenToID("<0x00>"))) != 3 {
		t.Fatalf("prompt ids %v", ids)
	}
	req := must(NewRequest())
	defer req.Close()
	noErr(t, req.AddTokens(ids))
	out := must(p.Run(context.Background(), req, WithMaxNewTokens(8)))
	defer out.Close()
	want := must(out.Tokens(0))
	for _, ctx := range []context.Context{context.Background(), cancellable(t)} {
		res := must(p.Generate(ctx, []string{prompt}, WithMaxNewTokens(8)))
		if row := res.Rows[0]; !slices.Equal(row.Tokens, want) || row.PromptTokens != len(ids) {
			t.Errorf("Generate: %d prompt tokens, %v; want %d, %v", row.PromptTokens, row.Tokens, len(ids), want)
		}
	}
	s := must(p.Stream(context.Background(), []string{prompt}, WithMaxNewTokens(8)))
	defer s.Close()
	var got []int32
	for ev := range s.Events() {
		if ev.Token >= 0 {
			got = append(got, ev.Token)
		}
	}
	if !slices.Equal(got, want) || s.Err() != nil {
		t.Errorf("Stream: %v (err %v), want %v", got, s.Err(), want)
	}
}

func TestSurrogateBytesAreInvalidUTF8(t *testing.T) {
	defer catch(t)
	p := lmProgram(t)
	tok := must(p.Tokenizer())
	defer tok.Close()
	for _, bad := range []string{"\xed\xa0\x80", "ok \xed\xbf\xbf", "emoji half \xed\xa0\xbd"} {
		if _, err := tok.Encode(bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("Encode(%q): %v", bad, err)
		}
		if _, err := tok.EncodeBatch([]string{"fine", bad}); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("EncodeBatch(%q): %v", bad, err)
		}
		req := must(NewRequest())
		if err := req.AddText(bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("AddText(%q): %v", bad, err)
		}
		noErr(t, req.Close())
		for _, ctx := range []context.Context{context.Background(), cancellable(t)} {
			if _, err := p.Generate(ctx, []string{bad}, WithMaxNewTokens(4)); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("Generate(%q): %v", bad, err)
			}
		}
	}
	if enc := must(tok.Encode("still fine")); len(enc.IDs) == 0 {
		t.Error("the tokenizer is unusable after the errors")
	}
}

// Paths, token strings, option keys and values and names are C strings at
// the C API; cgo copies a Go string into one whole, so C would read up to a
// NUL inside it: "dir\x00junk" would load dir. The wrappers refuse them with
// ErrInvalidArgument naming the argument, before any C call (the Java binding
// throws IllegalArgumentException, Python ValueError); the handles stay usable.
func TestCStringArgumentsRefuseNUL(t *testing.T) {
	defer catch(t)
	dir := modelDir(t, "llama-tiny")
	tok := must(LoadTokenizer(dir))
	defer tok.Close()
	m := must(Load(dir))
	defer m.Close()
	opts := must(NewOptions())
	defer opts.Close()
	closeIf := func(c closer, err error) error {
		if err == nil {
			c.Close()
		}
		return err
	}
	calls := []struct {
		name, argument string
		call           func() error
	}{
		{"LoadTokenizer", "dir", func() error { x, err := LoadTokenizer(dir + "\x00junk"); return closeIf(x, err) }},
		{"Load", "path", func() error { x, err := Load(dir + "\x00junk"); return closeIf(x, err) }},
		{"LoadProgram", "dir", func() error { x, err := LoadProgram(dir + "\x00junk"); return closeIf(x, err) }},
		{"CompileONNX", "path", func() error { x, err := CompileONNX(dir + "/model.onnx\x00junk"); return closeIf(x, err) }},
		{"Export", "dir", func() error { return m.Export(t.TempDir() + "\x00junk") }},
		{"TokenToID", "token", func() error { _, err := tok.TokenToID("<s>\x00junk"); return err }},
		{"Config", "key", func() error { _, err := m.Config("model_type\x00junk"); return err }},
		{"FindTensor", "name", func() error { _, err := m.FindTensor("model.norm.weight\x00junk"); return err }},
		{"option value", `the value of option "tokenize.padding"`, func() error {
			_, err := tok.Encode("x", WithOption("tokenize.padding", "longest\x00junk"))
			return err
		}},
		{"option text", `the value of option "tokenize.padding"`, func() error {
			_, err := tok.Encode("x", WithOptionText("tokenize.padding", "longest\x00junk"))
			return err
		}},
		{"option key", "option key", func() error { return opts.SetBool("tokenize.add_special_tokens\x00junk", true) }},
		{"Options.Get", "option key", func() error { _, err := opts.Get("tokenize.padding\x00junk"); return err }},
	}
	for _, c := range calls {
		err := c.call()
		if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "embedded NUL byte in "+c.argument+" ") {
			t.Errorf("%s: want ErrInvalidArgument naming %s, got %v", c.name, c.argument, err)
		}
	}
	if id := must(tok.TokenToID("<s>")); id != 1 {
		t.Errorf("TokenToID(<s>) = %d after the refusals", id)
	}
	if v := must(m.Config("model_type")); v != `"llama"` {
		t.Errorf("Config(model_type) = %s after the refusals", v)
	}
	if v := must(opts.Get("tokenize.add_special_tokens")); v != "true" {
		t.Errorf("the refused key changed the options: %s", v)
	}
	if enc := must(tok.Encode("a\x00b")); len(enc.IDs) < 3 {
		t.Errorf("text passed with its length lost its NUL: %v", enc.IDs)
	}
}
