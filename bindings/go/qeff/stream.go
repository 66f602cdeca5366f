package qeff

import (
	"context"
	"errors"
	"iter"
	"sync"

	capi "qeff.dev/qeff/internal/capi"
)

type cStream = capi.SwigcptrStruct_SS_qeff_stream

// Event is one step of a streamed generation: row gained Text (possibly ""
// while a multi-byte character or a possible stop string is held back) with
// token Token (-1 for the text released when the row ends). RowFinished is
// true on the row's last event. A row's texts concatenate to its final text.
type Event struct {
	Row         int
	Token       int32
	Text        string
	RowFinished bool
}

// Stream pulls a generation token by token (qeff_stream_*):
//
//	s, err := prog.Stream(ctx, prompts)
//	if err != nil { ... }
//	defer s.Close()
//	for s.Next() {
//		fmt.Print(s.Event().Text)
//	}
//	if err := s.Err(); err != nil { ... }
//
// or `for ev := range s.Events()`. Next, Event, Err, Output and Result are
// for one goroutine at a time; Cancel and Close may be called from any
// goroutine. When the stream's context is done the generation stops at the
// next token and Err matches both ErrCancelled and the context's error.
type Stream struct {
	h     handle[cStream]
	ctx   context.Context
	ev    Event
	err   error
	done  bool
	stop  chan struct{}
	once  sync.Once
	watch sync.WaitGroup
}

// Stream starts generating from each prompt (a causal-LM program); nothing
// runs until the first Next. Options as for Generate.
func (pr *Program) Stream(ctx context.Context, prompts []string, opts ...Option) (*Stream, error) {
	req, err := NewRequest()
	if err != nil {
		return nil, err
	}
	defer req.Close()
	for _, p := range prompts {
		if err := req.AddText(p); err != nil {
			return nil, err
		}
	}
	return pr.StreamRequest(ctx, req, opts...)
}

// StreamRequest is Stream over a Request (text or token rows). The stream
// keeps what it needs: the request and the program may be closed first.
func (pr *Program) StreamRequest(ctx context.Context, req *Request, opts ...Option) (*Stream, error) {
	if err := ctxError("Stream", ctx); err != nil {
		return nil, err
	}
	var sp cStream
	err := pr.h.use("Stream", func(p cProgram) error {
		return req.h.use("Stream", func(q cRequest) error {
			return withCOptions("Stream", opts, func(o cOptions) error {
				return check("Stream", capi.Qeff_stream_create(p, q, o, &sp))
			})
		})
	})
	if err != nil {
		return nil, err
	}
	s := &Stream{ctx: ctx, stop: make(chan struct{})}
	s.h.set(sp, func(p cStream) { capi.Qeff_stream_free(p) }, "Stream")
	if done := ctx.Done(); done != nil {
		// The watcher only calls qeff_stream_cancel, which is thread-safe
		// while another goroutine is inside qeff_stream_next.
		s.watch.Add(1)
		go func() {
			defer s.watch.Done()
			select {
			case <-done:
				_ = s.Cancel()
			case <-s.stop:
			}
		}()
	}
	return safetyNet(s), nil
}

// Next runs the model until the next event and reports whether there is
// one; false at the end or on an error (see Err).
func (s *Stream) Next() bool {
	if s.done {
		return false
	}
	var ev capi.StreamEvent // fresh: C writes it, Go copies its text
	err := s.h.use("Stream.Next", func(p cStream) error {
		return check("Stream.Next", capi.Qeff_stream_next(p, &ev))
	})
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Code == Cancelled && s.ctx.Err() != nil {
			e.Err = s.ctx.Err()
		}
		s.err, s.done = err, true
		return false
	}
	if ev.HasEvent == 0 {
		s.done = true
		return false
	}
	s.ev = Event{Row: ev.Row, Token: int32(ev.Token), Text: ev.Text, RowFinished: ev.RowFinished != 0}
	return true
}

// Event is the event the last successful Next produced.
func (s *Stream) Event() Event { return s.ev }

// Err is the error that ended the stream, nil after a normal end.
func (s *Stream) Err() error { return s.err }

// Events iterates over the remaining events; check Err afterwards.
func (s *Stream) Events() iter.Seq[Event] {
	return func(yield func(Event) bool) {
		for s.Next() {
			if !yield(s.ev) {
				return
			}
		}
	}
}

// Cancel asks the generation to stop: open rows end as FinishCancelled and
// Next returns false with an ErrCancelled error. Safe from any goroutine.
func (s *Stream) Cancel() error {
	return s.h.use("Stream.Cancel", func(p cStream) error {
		return check("Stream.Cancel", capi.Qeff_stream_cancel(p))
	})
}

// Output returns the raw output of the ended stream (what was generated,
// also after a cancel); State before the end. The caller closes it.
func (s *Stream) Output() (*Output, error) {
	var r cResult
	err := s.h.use("Stream.Output", func(p cStream) error {
		return check("Stream.Output", capi.Qeff_stream_result(p, &r))
	})
	if err != nil {
		return nil, err
	}
	return newOutput(r), nil
}

// Result returns the ended stream's rows and statistics.
func (s *Stream) Result() (*Result, error) {
	out, err := s.Output()
	if err != nil {
		return nil, err
	}
	defer out.Close()
	return out.Result()
}

// Close stops the generation and frees the stream. Safe to call twice and
// from any goroutine; it waits for a Next in flight.
func (s *Stream) Close() error {
	s.once.Do(func() { close(s.stop) })
	s.watch.Wait()
	s.h.close()
	return nil
}
