package qeff

import (
	"encoding/json"

	capi "qeff.dev/qeff/internal/capi"
)

type (
	cRequest = capi.SwigcptrStruct_SS_qeff_request
	cResult  = capi.SwigcptrStruct_SS_qeff_result
)

// Request is the input of Program.Run: a batch of texts, text pairs
// (rerankers) or token-id sequences, one row each (copied when added).
// One goroutine at a time may modify it.
type Request struct {
	h handle[cRequest]
}

// NewRequest creates an empty request.
func NewRequest() (*Request, error) {
	var p cRequest
	if err := check("NewRequest", capi.Qeff_request_create(&p)); err != nil {
		return nil, err
	}
	r := &Request{}
	r.h.set(p, func(p cRequest) { capi.Qeff_request_free(p) }, "Request")
	return safetyNet(r), nil
}

// Close frees the request. Safe to call twice.
func (r *Request) Close() error { r.h.close(); return nil }

// AddText appends one text row (UTF-8; may contain NUL).
func (r *Request) AddText(text string) error {
	return r.h.use("Request.AddText", func(p cRequest) error {
		return check("Request.AddText", capi.Qeff_request_add_text(p, text))
	})
}

// AddTextPair appends a (query, document) pair row, encoded as a pair.
func (r *Request) AddTextPair(first, second string) error {
	return r.h.use("Request.AddTextPair", func(p cRequest) error {
		return check("Request.AddTextPair", capi.Qeff_request_add_text_pair(p, first, second))
	})
}

// AddTokens appends one row of token ids, used as given (special tokens included).
func (r *Request) AddTokens(ids []int32) error {
	return r.h.use("Request.AddTokens", func(p cRequest) error {
		return check("Request.AddTokens", capi.Qeff_request_add_tokens(p, ids))
	})
}

// NumRows is the number of rows added.
func (r *Request) NumRows() (int, error) {
	var n int
	err := r.h.use("Request.NumRows", func(p cRequest) error {
		return check("Request.NumRows", capi.Qeff_request_num_rows(p, &n))
	})
	return n, err
}

// Matrix is a row-major float32 matrix (Rows x Cols), copied into Go memory.
type Matrix struct {
	Data       []float32
	Rows, Cols int
}

// Row returns row i (a view of Data).
func (m Matrix) Row(i int) []float32 { return m.Data[i*m.Cols : (i+1)*m.Cols : (i+1)*m.Cols] }

// RowSlices returns the rows as views of Data.
func (m Matrix) RowSlices() [][]float32 {
	rows := make([][]float32, m.Rows)
	for i := range rows {
		rows[i] = m.Row(i)
	}
	return rows
}

// FinishReason says why a generated row ended.
type FinishReason int

// Finish reasons (qeff_finish_reason).
const (
	FinishNone      FinishReason = 0
	FinishEOS       FinishReason = 1
	FinishLength    FinishReason = 2
	FinishStop      FinishReason = 3
	FinishContext   FinishReason = 4
	FinishCancelled FinishReason = 5
)

// String returns "none", "eos", "length", "stop", "context" or "cancelled".
func (f FinishReason) String() string {
	names := [...]string{"none", "eos", "length", "stop", "context", "cancelled"}
	if f >= 0 && int(f) < len(names) {
		return names[f]
	}
	return "unknown"
}

// Output is the raw result of a Run or a finished Stream
// (qeff_result): embeddings, scores, token embeddings or generated rows, and
// statistics. It owns C memory: Close it. It outlives its Program.
type Output struct {
	h handle[cResult]
}

func newOutput(p cResult) *Output {
	o := &Output{}
	o.h.set(p, func(p cResult) { capi.Qeff_result_free(p) }, "Output")
	return safetyNet(o)
}

// Close frees the output. Safe to call twice.
func (o *Output) Close() error { o.h.close(); return nil }

func (o *Output) matrix(op string, f func(cResult, *capi.Matrix) capi.Status) (Matrix, error) {
	var m capi.Matrix
	err := o.h.use(op, func(p cResult) error { return check(op, f(p, &m)) })
	return Matrix{Data: m.Data, Rows: m.Rows, Cols: m.Cols}, err
}

// NumRows is the number of rows (the request's).
func (o *Output) NumRows() (int, error) {
	var n int
	err := o.h.use("Output.NumRows", func(p cResult) error {
		return check("Output.NumRows", capi.Qeff_result_num_rows(p, &n))
	})
	return n, err
}

// Embeddings returns the pooled embeddings [rows, dim] (NotFound for scores
// or pooling "none").
func (o *Output) Embeddings() (Matrix, error) {
	return o.matrix("Output.Embeddings", func(p cResult, m *capi.Matrix) capi.Status { return capi.Qeff_result_embeddings(p, m) })
}

// Scores returns a sequence-classification program's logits [rows, labels].
func (o *Output) Scores() (Matrix, error) {
	return o.matrix("Output.Scores", func(p cResult, m *capi.Matrix) capi.Status { return capi.Qeff_result_scores(p, m) })
}

// TokenEmbeddings returns row's token states [tokens, dim] (pooling "none").
func (o *Output) TokenEmbeddings(row int) (Matrix, error) {
	return o.matrix("Output.TokenEmbeddings", func(p cResult, m *capi.Matrix) capi.Status {
		return capi.Qeff_result_token_embeddings(p, int64(row), m)
	})
}

// NumTokens is the number of tokens row ran with (the prompt for causal LMs).
func (o *Output) NumTokens(row int) (int, error) {
	var n int
	err := o.h.use("Output.NumTokens", func(p cResult) error {
		return check("Output.NumTokens", capi.Qeff_result_num_tokens(p, int64(row), &n))
	})
	return n, err
}

// Text is the generated text of row (causal LMs).
func (o *Output) Text(row int) (string, error) {
	var s string
	err := o.h.use("Output.Text", func(p cResult) error {
		return check("Output.Text", capi.Qeff_result_text(p, int64(row), &s))
	})
	return s, err
}

// Tokens are the generated token ids of row (an EOS that ended it included).
func (o *Output) Tokens(row int) ([]int32, error) {
	var ids []int32
	err := o.h.use("Output.Tokens", func(p cResult) error {
		return check("Output.Tokens", capi.Qeff_result_tokens(p, int64(row), &ids))
	})
	return ids, err
}

// FinishReason is why row ended.
func (o *Output) FinishReason(row int) (FinishReason, error) {
	var f int32
	err := o.h.use("Output.FinishReason", func(p cResult) error {
		return check("Output.FinishReason", capi.Qeff_result_finish_reason(p, int64(row), &f))
	})
	return FinishReason(f), err
}

// Stat returns one statistic by name ("ttft_ms", "decode_tokens_per_s", ...;
// NotFound for another name).
func (o *Output) Stat(name string) (float64, error) {
	if err := cString("Output.Stat", "name", name); err != nil {
		return 0, err
	}
	var v float64
	err := o.h.use("Output.Stat", func(p cResult) error {
		return check("Output.Stat", capi.Qeff_result_stat(p, name, &v))
	})
	return v, err
}

// StatsJSON returns every statistic as one JSON object.
func (o *Output) StatsJSON() (string, error) {
	var s string
	err := o.h.use("Output.StatsJSON", func(p cResult) error {
		return check("Output.StatsJSON", capi.Qeff_result_stats_json(p, &s))
	})
	return s, err
}

// Generation is one generated row.
type Generation struct {
	Text         string       // the generated text (special tokens left out by default)
	Tokens       []int32      // the generated token ids
	FinishReason FinishReason // why the row ended
	PromptTokens int          // tokens of the prompt (special tokens included)
}

// Stats are a generation's performance figures (QEfficient style); All has
// every statistic libqeff reports, by name.
type Stats struct {
	TTFTMs              float64 // start to the first generated token, ms
	PrefillTokensPerSec float64
	DecodeTokensPerSec  float64
	TotalMs             float64
	PromptTokens        int
	GeneratedTokens     int
	All                 map[string]float64
}

// Result is a finished generation, copied into Go memory (nothing to close).
type Result struct {
	Rows  []Generation
	Stats Stats
}

// Texts returns every row's text.
func (r *Result) Texts() []string {
	t := make([]string, len(r.Rows))
	for i, g := range r.Rows {
		t[i] = g.Text
	}
	return t
}

// Result copies a causal-LM output into a Result.
func (o *Output) Result() (*Result, error) {
	n, err := o.NumRows()
	if err != nil {
		return nil, err
	}
	res := &Result{Rows: make([]Generation, n)}
	for i := range res.Rows {
		g := &res.Rows[i]
		if g.Text, err = o.Text(i); err != nil {
			return nil, err
		}
		if g.Tokens, err = o.Tokens(i); err != nil {
			return nil, err
		}
		if g.FinishReason, err = o.FinishReason(i); err != nil {
			return nil, err
		}
		if g.PromptTokens, err = o.NumTokens(i); err != nil {
			return nil, err
		}
	}
	js, err := o.StatsJSON()
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(js), &res.Stats.All); err != nil {
		return nil, newError("Output.Result", Internal, "stats JSON: "+err.Error())
	}
	all := res.Stats.All
	res.Stats.TTFTMs, res.Stats.TotalMs = all["ttft_ms"], all["total_ms"]
	res.Stats.PrefillTokensPerSec, res.Stats.DecodeTokensPerSec = all["prefill_tokens_per_s"], all["decode_tokens_per_s"]
	res.Stats.PromptTokens, res.Stats.GeneratedTokens = int(all["prompt_tokens"]), int(all["generated_tokens"])
	return res, nil
}
