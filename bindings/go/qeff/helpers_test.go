package qeff

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Test inputs come from the environment meson test sets: QEFF_FIXTURES
// (tests/fixtures), QEFF_CONFORMANCE (tests/conformance/vectors.json) and
// QEFF_HOME (the compile cache, inside the build tree).

func fixtures(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("QEFF_FIXTURES")
	if dir == "" {
		t.Skip("QEFF_FIXTURES is not set (run the tests through meson test)")
	}
	return dir
}

func modelDir(t testing.TB, name string) string {
	return filepath.Join(fixtures(t), "models", name)
}

// readJSON decodes a JSON file into v.
func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
}

// reference reads tests/fixtures/reference/<name>.json (official
// transformers outputs) into v.
func reference(t testing.TB, name string, v any) {
	readJSON(t, filepath.Join(fixtures(t), "reference", name+".json"), v)
}

// vectors is tests/conformance/vectors.json.
type vectors struct {
	Encoder struct {
		Model   string `json:"model"`
		Compile struct {
			BatchSize int   `json:"batch_size"`
			SeqLen    []int `json:"seq_len"`
		} `json:"compile"`
		Texts      []string    `json:"texts"`
		Embeddings [][]float64 `json:"embeddings"`
		Atol       float64     `json:"atol"`
	} `json:"encoder"`
	LM struct {
		Model     string    `json:"model"`
		Compile   lmCompile `json:"compile"`
		Prompt    string    `json:"prompt"`
		PromptIDs []int32   `json:"prompt_ids"`
		MaxNew    int       `json:"max_new_tokens"`
		NewIDs    []int32   `json:"new_token_ids"`
	} `json:"lm"`
	Errors struct {
		MissingDir    errorCase `json:"missing_dir"`
		BadOption     errorCase `json:"bad_option"`
		TooLongPrompt errorCase `json:"too_long_prompt"`
	} `json:"errors"`
	UTF8 struct {
		Model string `json:"model"`
		Text  string `json:"text"`
	} `json:"utf8"`
}

type lmCompile struct {
	BatchSize     int `json:"batch_size"`
	PrefillSeqLen int `json:"prefill_seq_len"`
	CtxLen        int `json:"ctx_len"`
}

func (c lmCompile) options() []Option {
	return []Option{WithBatchSize(c.BatchSize), WithPrefillSeqLen(c.PrefillSeqLen), WithCtxLen(c.CtxLen)}
}

type errorCase struct {
	Model           string    `json:"model"`
	Key             string    `json:"key"`
	Value           int64     `json:"value"`
	Compile         lmCompile `json:"compile"`
	Prompt          string    `json:"prompt"`
	Status          string    `json:"status"`
	Code            int       `json:"code"`
	MessageContains string    `json:"message_contains"`
}

var (
	vectorsOnce sync.Once
	vectorsData vectors
)

func loadVectors(t testing.TB) *vectors {
	t.Helper()
	path := os.Getenv("QEFF_CONFORMANCE")
	if path == "" {
		t.Skip("QEFF_CONFORMANCE is not set (run the tests through meson test)")
	}
	vectorsOnce.Do(func() { readJSON(t, path, &vectorsData) })
	return &vectorsData
}

// shared compiles each fixture program once for the whole test binary (the
// programs are immutable and safe to share between tests and goroutines).
var (
	sharedMu    sync.Mutex
	sharedProgs = map[string]*Program{}
)

func sharedProgram(t testing.TB, name, variant string, opts ...Option) *Program {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if p, ok := sharedProgs[name+"/"+variant]; ok {
		return p
	}
	m, err := Load(modelDir(t, name))
	if err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
	defer m.Close()
	p, err := m.Compile(opts...)
	if err != nil {
		t.Fatalf("Compile(%s): %v", name, err)
	}
	sharedProgs[name+"/"+variant] = p
	return p
}

// lmProgram is llama-tiny compiled with the conformance settings.
func lmProgram(t testing.TB) *Program {
	return sharedProgram(t, "llama-tiny", "conformance", loadVectors(t).LM.Compile.options()...)
}

// fatal carries an error from must to catch.
type fatal struct{ err error }

// must returns v, or stops the running test (recovered by catch) when err is
// not nil, so that `x := must(f())` reads like the call it checks.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fatal{err})
	}
	return v
}

// catch turns a must failure into t.Fatal; defer it first in every test.
func catch(t testing.TB) {
	if r := recover(); r != nil {
		f, ok := r.(fatal)
		if !ok {
			panic(r)
		}
		t.Helper()
		t.Fatal(f.err)
	}
}

// run is t.Run with catch installed.
func run(t *testing.T, name string, f func(t *testing.T)) bool {
	return t.Run(name, func(t *testing.T) {
		defer catch(t)
		f(t)
	})
}

// noErr fails the test when err is not nil.
func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Error(err)
	}
}

func maxAbsDiff(got []float32, want []float64) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range got {
		d = math.Max(d, math.Abs(float64(got[i])-want[i]))
	}
	return d
}

func i64bytes(v []int64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
	return b
}

func f32s(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}
