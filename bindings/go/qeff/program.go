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
// CompileONNXContext is the cancellable form.
func CompileONNX(path string, opts ...Option) (*Program, error) {
	return CompileONNXContext(context.Background(), path, opts...)
}

// LoadProgram loads a package directory written by Program.Save; every
// file's digest is checked unless "package.verify" is false.
// LoadProgramContext is the cancellable form.
func LoadProgram(dir string, opts ...Option) (*Program, error) {
	return LoadProgramContext(context.Background(), dir, opts...)
}

// Close frees the program. Safe to call twice.
func (pr *Program) Close() error { pr.h.close(); return nil }

// Save writes the program as a package directory, atomically; an existing
// non-empty directory needs WithOption("package.overwrite", true).
// SaveContext is the cancellable form.
func (pr *Program) Save(dir string, opts ...Option) error {
	return pr.SaveContext(context.Background(), dir, opts...)
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
// output handle, which the caller closes. Once ctx is done the call stops
// between generation steps (causal LMs) or batches (encoders), and the
// error matches both ErrCancelled and ctx.Err().
func (pr *Program) Run(ctx context.Context, req *Request, opts ...Option) (*Output, error) {
	var r cResult
	err := pr.h.use("Run", func(p cProgram) error {
		return req.h.use("Run", func(q cRequest) error {
			return withContext(ctx, "Run", opts, func(o cOptions) error {
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
// Options: "generate.truncate", "tokenize.*". Cancellable between batches
// through ctx (as Run).
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
// "generate.*" or "tokenize.*" key. Once ctx is done the generation stops
// at the next token (a libqeff cancellation token requested by
// context.AfterFunc) and the error matches both ErrCancelled and ctx.Err().
func (pr *Program) Generate(ctx context.Context, prompts []string, opts ...Option) (*Result, error) {
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
