// Package qeff loads HuggingFace model directories, compiles them and runs
// them: sentence embeddings for encoders, text generation with a KV cache
// for causal LMs. It is a thin, idiomatic layer over libqeff's C ABI
// (include/qeff/qeff.h), reached through SWIG-generated cgo wrappers
// (qeff.dev/qeff/internal/capi).
//
// Quick start:
//
//	m, err := qeff.Load("models/llama-tiny")
//	if err != nil { ... }
//	defer m.Close()
//	p, err := m.Compile(qeff.WithPrefillSeqLen(32), qeff.WithCtxLen(256))
//	if err != nil { ... }
//	defer p.Close()
//	res, err := p.Generate(ctx, []string{"Hello"}, qeff.WithMaxNewTokens(16))
//	fmt.Println(res.Rows[0].Text, res.Stats.TTFTMs)
//
// Handles and ownership: Model, Program, Tokenizer, Decoder, Request, Output,
// Stream, Options, Tensors and Session each own one C object and free it in
// Close. Close is idempotent and safe to call concurrently with other
// methods (it waits for calls in flight; later calls fail with
// ErrInvalidHandle). The C library lets handles be closed in any order: a
// Program does not need its Model, a Tokenizer outlives its Model, a Stream
// and an Output outlive their Program. A finalizer closes a handle that
// became unreachable without Close, as a safety net only.
//
// Errors: every fallible call returns (T, error); failures are *Error values
// carrying the status code (by number and name) and libqeff's message,
// which the cgo wrapper reads inside the same C call (the message is
// thread-local and a goroutine may change OS thread between two cgo calls).
// Test for a status with errors.Is(err, qeff.ErrNotFound) or CodeOf(err).
//
// Threading: Model, Program and Tokenizer are immutable and may be shared by
// any number of goroutines (generate calls on one Program run concurrently).
// A Stream, Decoder, Request or Options value is used by one goroutine at a
// time (Stream.Cancel and every Close excepted). No Go memory is retained by
// C: strings and slices passed in are read during the call and copied.
//
// Cancellation: Generate, Embed, Run and Stream take a context.Context, and
// the other long calls have a Context form (LoadContext,
// LoadTokenizerContext, Model.CompileContext, Model.ExportContext,
// CompileONNXContext, LoadProgramContext, Program.SaveContext). When the
// context is done, the call stops at libqeff's next cancellation point (a
// per-call qeff_cancel token requested by context.AfterFunc; a stream uses
// qeff_stream_cancel), writes nothing, and returns an *Error with Code
// Cancelled wrapping ctx.Err(): errors.Is(err, ErrCancelled) and
// errors.Is(err, context.Canceled) (or context.DeadlineExceeded) both hold.
package qeff
