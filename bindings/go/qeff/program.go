package qeff

import (
	"context"

	capi "qeff.dev/qeff/internal/capi"
)

type cProgram = capi.SwigcptrStruct_SS_qeff_program

// Program is a compiled model: a graph specialized for fixed shapes with its
// weights packed. Immutable: any number of goroutines may call Embed,
// Generate, Stream and Run on one Program at once. Close frees it; streams,
// outputs and sessions created from it stay valid.
type Program struct {
	h handle[cProgram]
}

func newProgram(p cProgram) *Program {
	pr := &Program{}
	pr.h.set(p, func(p cProgram) { capi.Qeff_program_free(p) }, "Program")
	return safetyNet(pr)
}

// CompileONNX compiles an ONNX file (external data beside it) for the CPU
// target; options bind the graph's symbols (WithBatchSize, WithSeqLen, ...).
func CompileONNX(path string, opts ...Option) (*Program, error) {
	var p cProgram
	err := withCOptions("CompileONNX", opts, func(o cOptions) error {
		return check("CompileONNX", capi.Qeff_compile_onnx(path, o, &p))
	})
	if err != nil {
		return nil, err
	}
	return newProgram(p), nil
}

// LoadProgram loads a package directory written by Program.Save; every
// file's digest is checked unless "package.verify" is false.
func LoadProgram(dir string, opts ...Option) (*Program, error) {
	var p cProgram
	err := withCOptions("LoadProgram", opts, func(o cOptions) error {
		return check("LoadProgram", capi.Qeff_program_load(dir, o, &p))
	})
	if err != nil {
		return nil, err
	}
	return newProgram(p), nil
}

// Close frees the program. Safe to call twice.
func (pr *Program) Close() error { pr.h.close(); return nil }

// Save writes the program as a package directory, atomically; an existing
// non-empty directory needs WithOption("package.overwrite", true).
func (pr *Program) Save(dir string, opts ...Option) error {
	return pr.h.use("Program.Save", func(p cProgram) error {
		return withCOptions("Program.Save", opts, func(o cOptions) error {
			return check("Program.Save", capi.Qeff_program_save(p, dir, o))
		})
	})
}

// Info is a JSON description of the program (target, specializations,
// inputs, outputs, retained state, whether it came from the cache).
func (pr *Program) Info() (string, error) {
	var s string
	err := pr.h.use("Program.Info", func(p cProgram) error {
		return check("Program.Info", capi.Qeff_program_info(p, &s))
	})
	return s, err
}

// Tokenizer returns the tokenizer the program carries (NotFound for a
// program compiled from ONNX).
func (pr *Program) Tokenizer() (*Tokenizer, error) {
	var t cTokenizer
	err := pr.h.use("Program.Tokenizer", func(p cProgram) error {
		return check("Program.Tokenizer", capi.Qeff_program_tokenizer(p, &t))
	})
	if err != nil {
		return nil, err
	}
	return newTokenizer(t), nil
}

// Run runs the program on a request (qeff_generate) and returns the raw
// output handle, which the caller closes. The context is checked before
// the call starts; one call cannot be interrupted (use Stream to cancel a
// generation between tokens).
func (pr *Program) Run(ctx context.Context, req *Request, opts ...Option) (*Output, error) {
	if err := ctxError("Run", ctx); err != nil {
		return nil, err
	}
	var r cResult
	err := pr.h.use("Run", func(p cProgram) error {
		return req.h.use("Run", func(q cRequest) error {
			return withCOptions("Run", opts, func(o cOptions) error {
				return check("Run", capi.Qeff_generate(p, q, o, &r))
			})
		})
	})
	if err != nil {
		return nil, err
	}
	return newOutput(r), nil
}

// runTexts runs a one-shot request built from texts and reads it with read.
func (pr *Program) runTexts(ctx context.Context, op string, texts []string, opts []Option, read func(*Output) error) error {
	req, err := NewRequest()
	if err != nil {
		return err
	}
	defer req.Close()
	for _, t := range texts {
		if err := req.AddText(t); err != nil {
			return err
		}
	}
	out, err := pr.Run(ctx, req, opts...)
	if err != nil {
		if e, ok := err.(*Error); ok {
			e.Op = op
		}
		return err
	}
	defer out.Close()
	return read(out)
}

// Embed returns one pooled embedding per text (an embedding program).
// Options: "generate.truncate", "tokenize.*".
func (pr *Program) Embed(ctx context.Context, texts []string, opts ...Option) ([][]float32, error) {
	var rows [][]float32
	err := pr.runTexts(ctx, "Embed", texts, opts, func(out *Output) error {
		m, err := out.Embeddings()
		rows = m.RowSlices()
		return err
	})
	return rows, err
}

// Generate generates text from each prompt (a causal-LM program) and
// returns every row's text, token ids and finish reason with the run's
// statistics. Options: WithMaxNewTokens, WithSampling, WithStop, and any
// "generate.*" or "tokenize.*" key. When ctx can be cancelled the
// generation runs as a stream and stops between tokens once ctx is done;
// the error then matches both ErrCancelled and ctx.Err().
func (pr *Program) Generate(ctx context.Context, prompts []string, opts ...Option) (*Result, error) {
	if ctx.Done() != nil {
		s, err := pr.Stream(ctx, prompts, opts...)
		if err != nil {
			if e, ok := err.(*Error); ok {
				e.Op = "Generate"
			}
			return nil, err
		}
		defer s.Close()
		for s.Next() {
		}
		if err := s.Err(); err != nil {
			return nil, err
		}
		return s.Result()
	}
	var res *Result
	err := pr.runTexts(ctx, "Generate", prompts, opts, func(out *Output) error {
		var err error
		res, err = out.Result()
		return err
	})
	return res, err
}

// ctxError reports a context that is already done as a Cancelled error.
func ctxError(op string, ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		e := newError(op, Cancelled, "context done before the call: "+err.Error())
		e.Err = err
		return e
	}
	return nil
}
