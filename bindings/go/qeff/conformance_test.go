package qeff

// The conformance scenario (tests/conformance/SCENARIO.md), steps 1 to 8,
// with the expected values of tests/conformance/vectors.json.

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestConformance(t *testing.T) {
	defer catch(t)
	v := loadVectors(t)
	ctx := context.Background()
	var encoder, lm *Model
	var encProg, lmProg *Program
	var generated *Result

	run(t, "1_Load", func(t *testing.T) {
		encoder = must(Load(modelDir(t, v.Encoder.Model)))
		lm = must(Load(modelDir(t, v.LM.Model)))
		if task := must(encoder.Task()); task != TaskEmbedding {
			t.Errorf("encoder task = %v, want embedding", task)
		}
		if task := must(lm.Task()); task != TaskCausalLM {
			t.Errorf("LM task = %v, want causal-lm", task)
		}
	})
	if encoder == nil || lm == nil {
		t.FailNow()
	}
	defer encoder.Close()
	defer lm.Close()

	run(t, "2_Compile", func(t *testing.T) {
		c := v.Encoder.Compile
		encProg = must(encoder.Compile(WithBatchSize(c.BatchSize), WithSeqLen(c.SeqLen...)))
		lmProg = must(lm.Compile(v.LM.Compile.options()...))
	})
	if encProg == nil || lmProg == nil {
		t.FailNow()
	}
	defer encProg.Close()
	defer lmProg.Close()

	run(t, "3_EmbedBatch", func(t *testing.T) {
		emb := must(encProg.Embed(ctx, v.Encoder.Texts))
		if len(emb) != len(v.Encoder.Embeddings) {
			t.Fatalf("%d rows, want %d", len(emb), len(v.Encoder.Embeddings))
		}
		for i, row := range emb {
			if len(row) != 32 {
				t.Errorf("row %d has %d values, want 32", i, len(row))
			}
			if d := maxAbsDiff(row, v.Encoder.Embeddings[i]); d > v.Encoder.Atol {
				t.Errorf("row %d differs from the reference by %g (atol %g)", i, d, v.Encoder.Atol)
			}
		}
	})

	run(t, "4_GenerateGreedy", func(t *testing.T) {
		generated = must(lmProg.Generate(ctx, []string{v.LM.Prompt}, WithMaxNewTokens(v.LM.MaxNew)))
		row := generated.Rows[0]
		if !slices.Equal(row.Tokens, v.LM.NewIDs) {
			t.Errorf("tokens = %v, want %v", row.Tokens, v.LM.NewIDs)
		}
		if row.FinishReason != FinishLength {
			t.Errorf("finish reason = %v, want length", row.FinishReason)
		}
		if row.PromptTokens != len(v.LM.PromptIDs) {
			t.Errorf("prompt tokens = %d, want %d", row.PromptTokens, len(v.LM.PromptIDs))
		}
		if !(generated.Stats.TTFTMs > 0) {
			t.Errorf("ttft_ms = %v, want > 0", generated.Stats.TTFTMs)
		}
	})

	run(t, "5_Stream", func(t *testing.T) {
		if generated == nil {
			t.Skip("step 4 failed")
		}
		s := must(lmProg.Stream(ctx, []string{v.LM.Prompt}, WithMaxNewTokens(v.LM.MaxNew)))
		defer s.Close()
		var text strings.Builder
		var ids []int32
		var last Event
		n := 0
		for ev := range s.Events() {
			text.WriteString(ev.Text)
			if ev.Token >= 0 {
				ids = append(ids, ev.Token)
			}
			last, n = ev, n+1
		}
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		if n == 0 || !last.RowFinished {
			t.Errorf("%d events, last finished = %v; want the last event marked finished", n, last.RowFinished)
		}
		if text.String() != generated.Rows[0].Text {
			t.Errorf("streamed text %q, want %q", text.String(), generated.Rows[0].Text)
		}
		if !slices.Equal(ids, v.LM.NewIDs) {
			t.Errorf("streamed tokens = %v, want %v", ids, v.LM.NewIDs)
		}
	})

	run(t, "6_Errors", func(t *testing.T) {
		expect := func(t *testing.T, c errorCase, err error) {
			t.Helper()
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v (%T), want a *qeff.Error", err, err)
			}
			if int(e.Code) != c.Code || e.Status != c.Status || e.Code.String() != c.Status {
				t.Errorf("got %s (%d), want %s (%d)", e.Status, int(e.Code), c.Status, c.Code)
			}
			if CodeOf(err) != Code(c.Code) || !errors.Is(err, sentinel(Code(c.Code))) {
				t.Errorf("CodeOf / errors.Is do not match code %d: %v", c.Code, err)
			}
			if !strings.Contains(e.Message, c.MessageContains) {
				t.Errorf("message %q does not contain %q", e.Message, c.MessageContains)
			}
		}
		stillWorks := func(t *testing.T) {
			t.Helper()
			res, err := lmProg.Generate(ctx, []string{v.LM.Prompt}, WithMaxNewTokens(v.LM.MaxNew))
			if err != nil || !slices.Equal(res.Rows[0].Tokens, v.LM.NewIDs) {
				t.Errorf("the LM program no longer generates the reference: %v", err)
			}
		}
		run(t, "missing_dir", func(t *testing.T) {
			c := v.Errors.MissingDir
			m, err := Load(modelDir(t, c.Model))
			if m != nil {
				t.Error("Load returned a model with an error")
			}
			expect(t, c, err)
			stillWorks(t)
		})
		run(t, "bad_option", func(t *testing.T) {
			c := v.Errors.BadOption
			_, err := lm.Compile(append(v.LM.Compile.options(), WithOption(c.Key, c.Value))...)
			expect(t, c, err)
			stillWorks(t)
		})
		run(t, "too_long_prompt", func(t *testing.T) {
			c := v.Errors.TooLongPrompt
			p := must(lm.Compile(c.Compile.options()...))
			defer p.Close()
			_, err := p.Generate(ctx, []string{c.Prompt})
			expect(t, c, err)
			_, err = p.Stream(ctx, []string{c.Prompt})
			expect(t, c, err)
			stillWorks(t)
		})
	})

	run(t, "7_FreeInAnyOrder", func(t *testing.T) {
		m := must(Load(modelDir(t, v.LM.Model)))
		tok := must(m.Tokenizer())
		p := must(m.Compile(v.LM.Compile.options()...))
		out := must(p.Run(ctx, requestOf(t, v.LM.Prompt), WithMaxNewTokens(v.LM.MaxNew)))
		s := must(p.Stream(ctx, []string{v.LM.Prompt}, WithMaxNewTokens(v.LM.MaxNew)))
		var ids []int32
		if !s.Next() {
			t.Fatalf("stream did not start: %v", s.Err())
		}
		ids = append(ids, s.Event().Token)

		noErr(t, m.Close())
		noErr(t, p.Close())
		enc := must(tok.Encode(v.LM.Prompt))
		if !slices.Equal(enc.IDs, v.LM.PromptIDs) {
			t.Errorf("tokenizer after model/program close: %v, want %v", enc.IDs, v.LM.PromptIDs)
		}
		noErr(t, tok.Close())
		for s.Next() {
			if ev := s.Event(); ev.Token >= 0 {
				ids = append(ids, ev.Token)
			}
		}
		if err := s.Err(); err != nil || !slices.Equal(ids, v.LM.NewIDs) {
			t.Errorf("stream after program close: %v, %v; want %v", err, ids, v.LM.NewIDs)
		}
		noErr(t, s.Close())
		got := must(out.Tokens(0))
		if !slices.Equal(got, v.LM.NewIDs) {
			t.Errorf("result after everything else closed: %v, want %v", got, v.LM.NewIDs)
		}
		noErr(t, out.Close())

		// Closing twice is harmless; a closed handle reports InvalidHandle.
		for _, c := range []closer{m, p, tok, s, out} {
			if err := c.Close(); err != nil {
				t.Errorf("second Close of %T: %v", c, err)
			}
		}
		if _, err := tok.Encode("x"); !errors.Is(err, ErrInvalidHandle) {
			t.Errorf("Encode on a closed tokenizer: %v, want ErrInvalidHandle", err)
		}
		if _, err := out.Text(0); !errors.Is(err, ErrInvalidHandle) {
			t.Errorf("Text on a closed output: %v, want ErrInvalidHandle", err)
		}
	})

	run(t, "8_UTF8RoundTrip", func(t *testing.T) {
		tok := must(LoadTokenizer(modelDir(t, v.UTF8.Model)))
		defer tok.Close()
		if !strings.Contains(v.UTF8.Text, "\x00") || !strings.Contains(v.UTF8.Text, "\U0001F44B") {
			t.Fatalf("vector text lacks the NUL or the 4-byte emoji: %q", v.UTF8.Text)
		}
		enc := must(tok.Encode(v.UTF8.Text))
		got := must(tok.Decode(enc.IDs, true))
		if got != v.UTF8.Text {
			t.Errorf("round trip %q, want %q", got, v.UTF8.Text)
		}
	})
}

func requestOf(t testing.TB, texts ...string) *Request {
	r := must(NewRequest())
	t.Cleanup(func() { r.Close() })
	for _, s := range texts {
		if err := r.AddText(s); err != nil {
			t.Fatal(err)
		}
	}
	return r
}
