package qeff

import (
	"context"
	"errors"
	"sync"

	capi "qeff.dev/qeff/internal/capi"
)

type cCancel = capi.SwigcptrStruct_SS_qeff_cancel

// Cancellation follows context.Context: every long call takes a ctx (the
// *Context variants of Load, LoadTokenizer, Compile, Export, CompileONNX,
// LoadProgram and Save; Run, Embed and Generate). When ctx can be cancelled,
// the call gets its own libqeff cancellation token (qeff_cancel) attached to
// its options, and context.AfterFunc requests it (qeff_cancel_request, safe
// from any thread) as soon as ctx is done: the C call stops at its next
// cancellation point (between files, tensors, digest slices, graph nodes,
// packed weights and generation steps; docs/cancellation.md), leaves no
// partial files behind, and every handle it was given stays usable. A ctx
// already done when the call starts stops it before any C call.
//
// The error of a cancelled call is an *Error with Code Cancelled whose Err is
// ctx.Err(): errors.Is(err, ErrCancelled) and errors.Is(err,
// context.Canceled) (or context.DeadlineExceeded) both hold. A call that
// completes before it notices returns its normal result.

// withContext runs fn with a C options object built from opts that carries
// a cancellation token tied to ctx (NULL options when there are no settings
// and ctx can never be cancelled). A cancelled call's error wraps ctx.Err().
func withContext(ctx context.Context, op string, opts []Option, fn func(cOptions) error) error {
	if err := ctxError(op, ctx); err != nil {
		return err
	}
	if ctx.Done() == nil { // context.Background(), context.TODO(): never cancelled
		return withCOptions(op, opts, fn)
	}
	var tok cCancel
	if err := check(op, capi.Qeff_cancel_create(&tok)); err != nil {
		return err
	}
	// The AfterFunc may start while the call returns: the mutex keeps the
	// token alive until a request in progress is over, and none runs after.
	var mu sync.Mutex
	live := true
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if live {
			capi.Qeff_cancel_request(tok)
		}
	})
	defer func() {
		stop()
		mu.Lock()
		live = false
		mu.Unlock()
		capi.Qeff_cancel_free(tok) // the options hold their own reference until freed
	}()
	err := withCOptionsCancel(op, opts, tok, fn)
	var e *Error
	if errors.As(err, &e) && e.Code == Cancelled && e.Err == nil && ctx.Err() != nil {
		e.Err = ctx.Err()
	}
	return err
}

// withCOptionsCancel is withCOptions with a token attached (tok may be 0):
// the token travels as one more setting, applied after the caller's.
func withCOptionsCancel(op string, opts []Option, tok cCancel, fn func(cOptions) error) error {
	if tok != 0 {
		opts = append(opts[:len(opts):len(opts)], func(s *[]setting) { *s = append(*s, setting{value: tok}) })
	}
	return withCOptions(op, opts, fn)
}

// LoadContext is Load with a context: the load stops between files and
// tensors once ctx is done (the error then matches ErrCancelled and
// ctx.Err()).
func LoadContext(ctx context.Context, path string, opts ...Option) (*Model, error) {
	if err := cString("Load", "path", path); err != nil {
		return nil, err
	}
	var p cModel
	err := withContext(ctx, "Load", opts, func(o cOptions) error {
		return check("Load", capi.Qeff_model_load(path, o, &p))
	})
	if err != nil {
		return nil, err
	}
	m := &Model{}
	m.h.set(p, func(p cModel) { capi.Qeff_model_free(p) }, "Model")
	return safetyNet(m), nil
}

// LoadTokenizerContext is LoadTokenizer with a context (see LoadContext).
func LoadTokenizerContext(ctx context.Context, dir string, opts ...Option) (*Tokenizer, error) {
	if err := cString("LoadTokenizer", "dir", dir); err != nil {
		return nil, err
	}
	var p cTokenizer
	err := withContext(ctx, "LoadTokenizer", opts, func(o cOptions) error {
		return check("LoadTokenizer", capi.Qeff_tokenizer_load(dir, o, &p))
	})
	if err != nil {
		return nil, err
	}
	return newTokenizer(p), nil
}

// CompileContext is Compile with a context: the compile stops between
// specializations, graph nodes and packed weights once ctx is done, leaving
// no compile-cache entry behind.
func (m *Model) CompileContext(ctx context.Context, opts ...Option) (*Program, error) {
	var pr cProgram
	err := m.h.use("Compile", func(p cModel) error {
		return withContext(ctx, "Compile", opts, func(o cOptions) error {
			return check("Compile", capi.Qeff_compile(p, o, &pr))
		})
	})
	if err != nil {
		return nil, err
	}
	return newProgram(pr), nil
}

// ExportContext is Export with a context: a cancelled export writes nothing
// (an earlier export in dir is kept byte for byte).
func (m *Model) ExportContext(ctx context.Context, dir string, opts ...Option) error {
	if err := cString("Export", "dir", dir); err != nil {
		return err
	}
	return m.h.use("Export", func(p cModel) error {
		return withContext(ctx, "Export", opts, func(o cOptions) error {
			return check("Export", capi.Qeff_export(p, dir, o))
		})
	})
}

// CompileONNXContext is CompileONNX with a context (see CompileContext).
func CompileONNXContext(ctx context.Context, path string, opts ...Option) (*Program, error) {
	if err := cString("CompileONNX", "path", path); err != nil {
		return nil, err
	}
	var p cProgram
	err := withContext(ctx, "CompileONNX", opts, func(o cOptions) error {
		return check("CompileONNX", capi.Qeff_compile_onnx(path, o, &p))
	})
	if err != nil {
		return nil, err
	}
	return newProgram(p), nil
}

// LoadProgramContext is LoadProgram with a context: the digest checks stop
// between slices of the files once ctx is done.
func LoadProgramContext(ctx context.Context, dir string, opts ...Option) (*Program, error) {
	if err := cString("LoadProgram", "dir", dir); err != nil {
		return nil, err
	}
	var p cProgram
	err := withContext(ctx, "LoadProgram", opts, func(o cOptions) error {
		return check("LoadProgram", capi.Qeff_program_load(dir, o, &p))
	})
	if err != nil {
		return nil, err
	}
	return newProgram(p), nil
}

// SaveContext is Save with a context: a cancelled save writes nothing (an
// existing package in dir is kept).
func (pr *Program) SaveContext(ctx context.Context, dir string, opts ...Option) error {
	if err := cString("Program.Save", "dir", dir); err != nil {
		return err
	}
	return pr.h.use("Program.Save", func(p cProgram) error {
		return withContext(ctx, "Program.Save", opts, func(o cOptions) error {
			return check("Program.Save", capi.Qeff_program_save(p, dir, o))
		})
	})
}
