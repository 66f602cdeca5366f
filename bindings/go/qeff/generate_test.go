package qeff

// Text generation: batches, concurrency, streaming, cancellation through
// context.Context and Stream.Cancel, stop strings and sampling.

import (
	"context"
	"errors"
	"regexp"
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
			if !equalIDs(row.Tokens, g.NewTokenIDs[i]) {
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
				if !equalIDs(res.Rows[0].Tokens, v.LM.NewIDs) {
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
	if res := must(lmProgram(t).Generate(context.Background(), []string{v.LM.Prompt}, WithMaxNewTokens(v.LM.MaxNew))); !equalIDs(res.Rows[0].Tokens, v.LM.NewIDs) {
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
	if row.FinishReason != FinishCancelled || len(row.Tokens) < 3 || len(row.Tokens) >= 240 ||
		!equalIDs(row.Tokens, v.LM.NewIDs[:len(row.Tokens)]) || !equalIDs(ids, row.Tokens) {
		t.Errorf("cancelled row: %s, %d tokens %v", row.FinishReason, len(row.Tokens), row.Tokens)
	}

	// Stream.Cancel from another goroutine while this one pulls.
	s2 := must(p.Stream(context.Background(), []string{v.LM.Prompt}, longGen...))
	if _, err := s2.Output(); !errors.Is(err, ErrState) {
		t.Errorf("Output before the end: %v", err)
	}
	started := make(chan struct{})
	go func() {
		<-started
		noErr(t, s2.Cancel())
	}()
	n := 0
	for s2.Next() {
		if n++; n == 1 {
			close(started)
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
	if a.Rows[0].Text != b.Rows[0].Text || !equalIDs(a.Rows[0].Tokens, b.Rows[0].Tokens) {
		t.Errorf("seed 7 gave %q and %q", a.Rows[0].Text, b.Rows[0].Text)
	}

	// Token-id prompts through a Request give the text prompt's generation.
	req := must(NewRequest())
	defer req.Close()
	noErr(t, req.AddTokens(v.LM.PromptIDs))
	out := must(p.Run(ctx, req, WithMaxNewTokens(v.LM.MaxNew)))
	defer out.Close()
	if ids := must(out.Tokens(0)); !equalIDs(ids, v.LM.NewIDs) {
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
