package qeff

// Every wrapped C function, reached through the idiomatic API and checked
// against the fixtures' references (tests/fixtures/reference, written by the
// official transformers code) or against the C library's own constants.

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	capi "qeff.dev/qeff/internal/capi"
)

type encoderRef struct {
	Architecture  string `json:"architecture"`
	ConfigSummary struct {
		ModelType  string `json:"model_type"`
		HiddenSize int64  `json:"hidden_size"`
		NumLayers  int64  `json:"num_hidden_layers"`
		VocabSize  int64  `json:"vocab_size"`
	} `json:"config_summary"`
	Parameters struct {
		HFNumParameters int64 `json:"hf_num_parameters"`
		NumTensors      int   `json:"num_tensors"`
	} `json:"parameters"`
	Safetensors struct {
		Tensors []struct {
			Name  string  `json:"name"`
			DType string  `json:"dtype"`
			Shape []int64 `json:"shape"`
		} `json:"tensors"`
	} `json:"safetensors"`
	Encoder struct {
		Texts  []string                 `json:"texts"`
		IDs    [][]int32                `json:"ids_unpadded"`
		Pairs  [][2]string              `json:"pairs"`
		Logits struct{ Data []float64 } `json:"logits"`
	} `json:"encoder"`
}

type lmRef struct {
	SpecialTokenIDs struct {
		BOS int32 `json:"tokenizer_bos"`
		EOS int32 `json:"tokenizer_eos"`
		PAD int32 `json:"tokenizer_pad"`
	} `json:"special_token_ids"`
	Prompts []struct {
		Text        string   `json:"text"`
		IDs         []int32  `json:"ids"`
		Tokens      []string `json:"tokens"`
		Decoded     string   `json:"decoded"`
		DecodedSkip string   `json:"decoded_skip_special"`
	} `json:"prompts"`
	GenerateBatch struct {
		Prompts      []string  `json:"prompts"`
		MaxNewTokens int       `json:"max_new_tokens"`
		NewTokenIDs  [][]int32 `json:"new_token_ids"`
	} `json:"generate_batch"`
}

func TestVersionAndCodes(t *testing.T) {
	if Version() != HeaderVersion || Version() != capi.QEFF_VERSION_STRING {
		t.Errorf("Version() = %q, header %q", Version(), HeaderVersion)
	}
	want := capi.QEFF_VERSION_MAJOR*10000 + capi.QEFF_VERSION_MINOR*100 + capi.QEFF_VERSION_PATCH
	if VersionNumber() != want {
		t.Errorf("VersionNumber() = %d, want %d", VersionNumber(), want)
	}
	// The Go constants are the C enum values (read from the library).
	pairs := []struct {
		got  int
		want capi.Enum_SS_qeff_status
	}{{int(InvalidArgument), capi.QEFF_E_INVALID_ARGUMENT}, {int(NotFound), capi.QEFF_E_NOT_FOUND},
		{int(ContextOverflow), capi.QEFF_E_CONTEXT_OVERFLOW}, {int(Cancelled), capi.QEFF_E_CANCELLED},
		{int(InvalidHandle), capi.QEFF_E_INVALID_HANDLE}, {int(State), capi.QEFF_E_STATE}, {int(Internal), capi.QEFF_E_INTERNAL}}
	for _, p := range pairs {
		if p.got != int(p.want) {
			t.Errorf("Go code %d != C %d", p.got, int(p.want))
		}
	}
	if int(TaskCausalLM) != int(capi.QEFF_TASK_CAUSAL_LM) || int(DTypeBF16) != int(capi.QEFF_DTYPE_BF16) ||
		int(FinishCancelled) != int(capi.QEFF_FINISH_CANCELLED) || int(OptionIntList) != int(capi.QEFF_OPTION_INT_LIST) ||
		int(PAD) != int(capi.QEFF_SPECIAL_PAD) {
		t.Error("an enum constant differs from the C value")
	}
	if NotFound.String() != "QEFF_E_NOT_FOUND" || Code(99).String() != "QEFF_E_UNKNOWN" || OK.String() != "QEFF_OK" {
		t.Errorf("status names: %s %s %s", NotFound, Code(99), OK)
	}
	for c := InvalidArgument; c <= Internal; c++ {
		if !strings.HasPrefix(c.String(), "QEFF_E_") || c.String() == "QEFF_E_UNKNOWN" {
			t.Errorf("code %d has name %q", int(c), c.String())
		}
		if !errors.Is(newError("op", c, "m"), sentinel(c)) || errors.Is(newError("op", c, "m"), sentinel(c%17+1)) {
			t.Errorf("errors.Is does not match code %d alone", int(c))
		}
	}
	if TaskEmbedding.String() != "embedding" || DTypeF32.String() != "F32" || FinishLength.String() != "length" {
		t.Errorf("names: %s %s %s", TaskEmbedding, DTypeF32, FinishLength)
	}
	// The thread-local accessors stay reachable (of little use from Go).
	capi.Qeff_clear_error()
	if capi.Qeff_last_error_code() != 0 || capi.Qeff_last_error_message() != "" {
		t.Error("qeff_clear_error did not clear")
	}
}

func TestOptions(t *testing.T) {
	defer catch(t)
	o := must(NewOptions())
	defer o.Close()
	noErr(t, o.SetBool("load.check_tensors", true))
	noErr(t, o.SetInt("compile.batch_size", 1))
	noErr(t, o.SetFloat("generate.temperature", 0.5))
	noErr(t, o.SetString("compile.weight_dtype", "f32"))
	noErr(t, o.SetIntList("compile.seq_len", []int64{16, 32}))
	noErr(t, o.Set("runtime.threads", "2"))
	for key, want := range map[string]string{"load.check_tensors": "true", "compile.batch_size": "1",
		"compile.weight_dtype": "f32", "compile.seq_len": "16,32", "runtime.threads": "2", "compile.ctx_len": "128"} {
		if got := must(o.Get(key)); got != want {
			t.Errorf("Get(%s) = %q, want %q", key, got, want)
		}
	}
	if got := must(o.Get("generate.temperature")); got != "0.5" && !strings.HasPrefix(got, "0.5") {
		t.Errorf("Get(generate.temperature) = %q", got)
	}
	err := o.SetInt("compile.no_such_key", 1)
	if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "compile.no_such_key") {
		t.Errorf("unknown key: %v", err)
	}
	if err := o.SetString("compile.batch_size", "x"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("type mismatch: %v", err)
	}
	if _, err := o.Get("nope"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Get(unknown): %v", err)
	}

	keys := must(OptionKeys())
	types := map[string]OptionType{}
	for _, k := range keys {
		types[k.Name] = k.Type
		if k.Description == "" {
			t.Errorf("key %s has no description", k.Name)
		}
	}
	if len(keys) != int(capi.Qeff_options_key_count()) || types["compile.seq_len"] != OptionIntList ||
		types["load.check_tensors"] != OptionBool || types["generate.top_p"] != OptionFloat ||
		types["cache.dir"] != OptionString || types["compile.ctx_len"] != OptionInt {
		t.Errorf("key listing: %d keys, types %v", len(keys), types)
	}

	// WithOptions replays o's settings; one specialization per seq_len.
	m := must(Load(modelDir(t, "bert-tiny"), WithOption("limits.json_depth", 64)))
	defer m.Close()
	o2 := must(NewOptions())
	noErr(t, o2.SetIntList("compile.seq_len", []int64{16}))
	p := must(m.Compile(WithOptions(o2), WithOptionText("compile.fuse", "true")))
	defer p.Close()
	if info := must(p.Info()); !strings.Contains(info, "seq_len\": 16") || strings.Contains(info, "seq_len\": 32") {
		t.Errorf("WithOptions(seq_len 16) compiled: %s", info)
	}
	noErr(t, o2.Close())
	noErr(t, o2.Close())
	if _, err := o2.Get("compile.seq_len"); !errors.Is(err, ErrInvalidHandle) {
		t.Errorf("Get on closed options: %v", err)
	}
	if _, err := m.Compile(WithOption("compile.batch_size", []string{"x"})); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("a Go value of an unsupported type: %v", err)
	}
}

func TestModelIntrospection(t *testing.T) {
	defer catch(t)
	var ref encoderRef
	reference(t, "bert-tiny", &ref)
	m := must(Load(modelDir(t, "bert-tiny")))
	defer m.Close()
	if got := must(m.Architecture()); got != ref.Architecture {
		t.Errorf("Architecture = %q, want %q", got, ref.Architecture)
	}
	if got := must(m.Type()); got != ref.ConfigSummary.ModelType {
		t.Errorf("Type = %q", got)
	}
	if got := must(m.Path()); filepath.Base(got) != "bert-tiny" || !filepath.IsAbs(got) {
		t.Errorf("Path = %q", got)
	}
	c := ref.ConfigSummary
	if must(m.HiddenSize()) != c.HiddenSize || must(m.NumLayers()) != c.NumLayers || must(m.VocabSize()) != c.VocabSize {
		t.Errorf("sizes differ from %+v", c)
	}
	if got := must(m.NumParameters()); got != ref.Parameters.HFNumParameters {
		t.Errorf("NumParameters = %d, want %d", got, ref.Parameters.HFNumParameters)
	}
	if must(m.WeightDType()) != DTypeF32 || must(m.Task()) != TaskEmbedding {
		t.Error("weight dtype or task")
	}
	n := must(m.NumTensors())
	want := ref.Safetensors.Tensors
	sort.Slice(want, func(i, j int) bool { return want[i].Name < want[j].Name })
	if n != ref.Parameters.NumTensors || n != len(want) {
		t.Fatalf("NumTensors = %d, want %d", n, len(want))
	}
	for i := 0; i < n; i++ {
		info := must(m.Tensor(i))
		if info.Name != want[i].Name || info.DType.String() != want[i].DType || !slices.Equal(info.Shape, want[i].Shape) {
			t.Errorf("tensor %d = %+v, want %+v", i, info, want[i])
		}
		if j := must(m.FindTensor(info.Name)); j != i {
			t.Errorf("FindTensor(%s) = %d, want %d", info.Name, j, i)
		}
	}
	if _, err := m.FindTensor("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("FindTensor(nope): %v", err)
	}
	if _, err := m.Tensor(n); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Tensor(n): %v", err)
	}
	if got := must(m.Config("architectures.0")); got != `"`+ref.Architecture+`"` {
		t.Errorf("Config(architectures.0) = %s", got)
	}
	if _, err := m.Config("no.such.path"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Config(missing): %v", err)
	}
	if !strings.Contains(m.String(), "BertModel") {
		t.Errorf("String() = %s", m)
	}
	noErr(t, m.Close())
	if _, err := m.HiddenSize(); !errors.Is(err, ErrInvalidHandle) || m.String() != "qeff.Model(closed)" {
		t.Errorf("closed model: %v", err)
	}
}

func TestTokenizer(t *testing.T) {
	defer catch(t)
	var bert encoderRef
	reference(t, "bert-tiny", &bert)
	bt := must(LoadTokenizer(modelDir(t, "bert-tiny")))
	defer bt.Close()
	rows := must(bt.EncodeBatch(bert.Encoder.Texts))
	for i, r := range rows {
		if !slices.Equal(r.IDs, bert.Encoder.IDs[i]) {
			t.Errorf("bert row %d = %v, want %v", i, r.IDs, bert.Encoder.IDs[i])
		}
		for j, off := range r.Offsets { // offsets point into the caller's text
			if off[1] > off[0] && strings.TrimSpace(bert.Encoder.Texts[i][off[0]:off[1]]) == "" {
				t.Errorf("row %d token %d offsets %v select blank text", i, j, off)
			}
		}
	}
	padded := must(bt.EncodeBatch(bert.Encoder.Texts[:2], WithOption("tokenize.padding", "longest")))
	if len(padded[0].IDs) != len(padded[1].IDs) || padded[0].AttentionMask[len(padded[0].IDs)-1] != 0 {
		t.Errorf("padding longest: %d vs %d ids", len(padded[0].IDs), len(padded[1].IDs))
	}
	if n := must(bt.VocabSize()); n != 512 {
		t.Errorf("bert VocabSize = %d", n)
	}

	var lm lmRef
	reference(t, "llama-tiny", &lm)
	m := must(Load(modelDir(t, "llama-tiny")))
	tok := must(m.Tokenizer())
	noErr(t, m.Close()) // the tokenizer does not need its model
	defer tok.Close()
	for _, p := range lm.Prompts {
		enc := must(tok.Encode(p.Text))
		if !slices.Equal(enc.IDs, p.IDs) {
			t.Errorf("Encode(%q) = %v, want %v", p.Text, enc.IDs, p.IDs)
		}
		if got := must(tok.Decode(p.IDs, true)); got != p.DecodedSkip {
			t.Errorf("Decode(skip) = %q, want %q", got, p.DecodedSkip)
		}
		if got := must(tok.Decode(p.IDs, false)); got != p.Decoded {
			t.Errorf("Decode = %q, want %q", got, p.Decoded)
		}
		for i, s := range p.Tokens {
			if id := must(tok.TokenToID(s)); id != p.IDs[i] {
				t.Errorf("TokenToID(%q) = %d, want %d", s, id, p.IDs[i])
			}
			if got := must(tok.IDToToken(p.IDs[i])); got != s {
				t.Errorf("IDToToken(%d) = %q, want %q", p.IDs[i], got, s)
			}
		}
		// The streaming decoder's pieces concatenate to the full decode.
		dec := must(tok.NewDecoder(true))
		var b strings.Builder
		for _, id := range p.IDs {
			b.WriteString(must(dec.Step(id)))
		}
		b.WriteString(must(dec.Finish()))
		if b.String() != p.DecodedSkip {
			t.Errorf("decoder pieces %q, want %q", b.String(), p.DecodedSkip)
		}
		noErr(t, dec.Close())
		noErr(t, dec.Close())
	}
	noSpecial := must(tok.Encode(lm.Prompts[0].Text, WithOption("tokenize.add_special_tokens", false)))
	if !slices.Equal(noSpecial.IDs, lm.Prompts[0].IDs[1:]) {
		t.Errorf("add_special_tokens=false: %v", noSpecial.IDs)
	}
	st := lm.SpecialTokenIDs
	if must(tok.SpecialID(BOS)) != st.BOS || must(tok.SpecialID(EOS)) != st.EOS || must(tok.SpecialID(PAD)) != st.PAD {
		t.Errorf("special ids differ from %+v", st)
	}
	if _, err := bt.SpecialID(BOS); !errors.Is(err, ErrNotFound) {
		t.Errorf("bert has no BOS: %v", err)
	}
	if _, err := tok.TokenToID("no such token"); !errors.Is(err, ErrNotFound) {
		t.Errorf("TokenToID(missing): %v", err)
	}
	if _, err := tok.Decode([]int32{1 << 20}, false); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Decode(bad id): %v", err)
	}
	if _, err := tok.Encode("bad \xff utf-8"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Encode(invalid UTF-8): %v", err)
	}
	if _, err := LoadTokenizer(modelDir(t, "does-not-exist")); !errors.Is(err, ErrNotFound) {
		t.Errorf("LoadTokenizer(missing): %v", err)
	}
}

func TestRequestsAndOutputs(t *testing.T) {
	defer catch(t)
	ctx := context.Background()
	var rr encoderRef
	reference(t, "bert-reranker-tiny", &rr)
	m := must(Load(modelDir(t, "bert-reranker-tiny")))
	defer m.Close()
	p := must(m.Compile(WithSeqLen(64)))
	defer p.Close()
	req := must(NewRequest())
	defer req.Close()
	for _, pair := range rr.Encoder.Pairs {
		noErr(t, req.AddTextPair(pair[0], pair[1]))
	}
	if n := must(req.NumRows()); n != len(rr.Encoder.Pairs) {
		t.Errorf("NumRows = %d", n)
	}
	out := must(p.Run(ctx, req))
	defer out.Close()
	scores := must(out.Scores())
	if scores.Rows != 3 || scores.Cols != 1 || maxAbsDiff(scores.Data, rr.Encoder.Logits.Data) > 1e-4 {
		t.Errorf("scores %+v, want %v", scores, rr.Encoder.Logits.Data)
	}
	if _, err := out.Embeddings(); !errors.Is(err, ErrNotFound) {
		t.Errorf("Embeddings of a reranker: %v", err)
	}

	// Token rows give the same embedding as the text; pooling "none" gives
	// token states whose normalized mean is the pooled embedding.
	enc := sharedProgram(t, "bert-tiny", "16,32", WithSeqLen(16, 32))
	var bert encoderRef
	reference(t, "bert-tiny", &bert)
	text := bert.Encoder.Texts[1]
	want := must(enc.Embed(ctx, []string{text}))[0]
	tokReq := must(NewRequest())
	defer tokReq.Close()
	noErr(t, tokReq.AddTokens(bert.Encoder.IDs[1]))
	if err := tokReq.AddText("mixed"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("text after token rows: %v", err)
	}
	tokOut := must(enc.Run(ctx, tokReq))
	defer tokOut.Close()
	if got := must(tokOut.Embeddings()); maxAbsDiff(got.Row(0), to64(want)) > 1e-5 {
		t.Errorf("token-row embedding differs from the text's")
	}
	if n := must(tokOut.NumTokens(0)); n != len(bert.Encoder.IDs[1]) {
		t.Errorf("NumTokens = %d", n)
	}
	if v := must(tokOut.Stat("batches")); v != 1 {
		t.Errorf("Stat(batches) = %v", v)
	}
	if _, err := tokOut.Stat("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Stat(nope): %v", err)
	}
	if _, err := tokOut.Text(0); !errors.Is(err, ErrNotFound) {
		t.Errorf("Text of an embedding output: %v", err)
	}
	if _, err := tokOut.Result(); err == nil {
		t.Error("Result of an embedding output succeeded")
	}

	bm := must(Load(modelDir(t, "bert-tiny")))
	defer bm.Close()
	none := must(bm.Compile(WithPooling("none"), WithSeqLen(32)))
	defer none.Close()
	states := must(none.Run(ctx, requestOf(t, text)))
	defer states.Close()
	te := must(states.TokenEmbeddings(0))
	if te.Rows != len(bert.Encoder.IDs[1]) || te.Cols != 32 {
		t.Fatalf("token embeddings %dx%d", te.Rows, te.Cols)
	}
	mean := make([]float64, te.Cols)
	for r := 0; r < te.Rows; r++ {
		for c, x := range te.Row(r) {
			mean[c] += float64(x) / float64(te.Rows)
		}
	}
	norm := 0.0
	for _, x := range mean {
		norm += x * x
	}
	for c := range mean {
		mean[c] /= math.Sqrt(norm)
	}
	if d := maxAbsDiff(want, mean); d > 1e-4 {
		t.Errorf("normalized mean of token states differs from the embedding by %g", d)
	}
	if _, err := none.Embed(ctx, []string{text}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Embed with pooling none: %v", err)
	}
	if _, err := enc.Embed(ctx, []string{strings.Repeat("word ", 100)}); !errors.Is(err, ErrContextOverflow) {
		t.Errorf("a row longer than every seq_len: %v", err)
	}
	if e := must(enc.Embed(ctx, []string{strings.Repeat("word ", 100)}, WithTruncate(true))); len(e) != 1 {
		t.Error("truncate")
	}
}

func to64(v []float32) []float64 {
	r := make([]float64, len(v))
	for i, x := range v {
		r[i] = float64(x)
	}
	return r
}

// Export -> CompileONNX -> Session.Run gives the embedding Embed gives;
// Save -> LoadProgram gives a program that embeds the same.
func TestExportSessionPackage(t *testing.T) {
	defer catch(t)
	ctx := context.Background()
	m := must(Load(modelDir(t, "bert-tiny")))
	defer m.Close()
	dir := t.TempDir()
	noErr(t, m.Export(dir))
	if err := m.Export(dir); !errors.Is(err, ErrIO) {
		t.Errorf("Export over an existing model.onnx: %v", err)
	}
	noErr(t, m.Export(dir, WithOption("export.overwrite", true)))
	onnx := must(CompileONNX(filepath.Join(dir, "model.onnx"), WithBatchSize(1), WithSeqLen(8)))
	defer onnx.Close()
	if _, err := onnx.Tokenizer(); !errors.Is(err, ErrNotFound) {
		t.Errorf("an ONNX program has no tokenizer: %v", err)
	}
	ids := []int64{2, 179, 151, 5, 3, 0, 0, 0} // [CLS] hello world ! [SEP] + padding
	mask := []int64{1, 1, 1, 1, 1, 0, 0, 0}
	in := must(NewTensors())
	defer in.Close()
	noErr(t, in.Set("input_ids", DTypeI64, []int64{1, 8}, i64bytes(ids)))
	noErr(t, in.Set("attention_mask", DTypeI64, []int64{1, 8}, i64bytes(mask)))
	if err := in.Set("bad", DTypeI64, []int64{1, 8}, []byte{1, 2}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Tensors.Set with a size mismatch: %v", err)
	}
	if n := must(in.Len()); n != 2 {
		t.Errorf("Tensors.Len = %d", n)
	}
	s := must(onnx.NewSession(WithThreads(1)))
	defer s.Close()
	out := must(s.Run(in))
	defer out.Close()
	got := must(out.Get(must(out.Find("output"))))
	if got.DType != DTypeF32 || !slices.Equal(got.Shape, []int64{1, 32}) || len(got.Data) != 32*4 {
		t.Fatalf("output %s %v %d bytes", got.DType, got.Shape, len(got.Data))
	}
	want := must(sharedProgram(t, "bert-tiny", "16,32", WithSeqLen(16, 32)).Embed(ctx, []string{"Hello world!"}))[0]
	if d := maxAbsDiff(f32s(got.Data), to64(want)); d > 1e-4 {
		t.Errorf("session output differs from Embed by %g", d)
	}
	noErr(t, s.Reset())
	if _, err := s.ReadState("past_key.0"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadState on a program without state: %v", err)
	}
	lmSession := must(lmProgram(t).NewSession())
	defer lmSession.Close()
	if _, err := lmSession.ReadState("past_key.0"); !errors.Is(err, ErrState) {
		t.Errorf("ReadState before a run: %v", err)
	}

	pkg := filepath.Join(t.TempDir(), "pkg")
	p := must(m.Compile(WithSeqLen(16)))
	noErr(t, p.Save(pkg))
	if err := p.Save(pkg); err == nil {
		t.Error("Save over a non-empty directory succeeded")
	}
	noErr(t, p.Save(pkg, WithOption("package.overwrite", true)))
	noErr(t, p.Close())
	loaded := must(LoadProgram(pkg))
	defer loaded.Close()
	if e := must(loaded.Embed(ctx, []string{"Hello world!"})); maxAbsDiff(e[0], to64(want)) > 1e-5 {
		t.Error("a loaded package embeds differently")
	}
	if n := must(must(loaded.Tokenizer()).VocabSize()); n != 512 {
		t.Errorf("package tokenizer vocab %d", n)
	}
	if _, err := LoadProgram(filepath.Join(dir, "nope")); !errors.Is(err, ErrNotFound) {
		t.Errorf("LoadProgram(missing): %v", err)
	}
}

func TestWeightAndKVCacheDTypes(t *testing.T) {
	m := must(Load(modelDir(t, "llama-tiny")))
	defer m.Close()
	p := must(m.Compile(WithPrefillSeqLen(4), WithCtxLen(16), WithWeightDType("mxfp6"), WithKVCacheDType("f16"),
		WithCache(false, "")))
	defer p.Close()
	info := must(p.Info())
	if !strings.Contains(info, `"weight_dtype": "F6_E2M3"`) ||
		!strings.Contains(info, `"output": "past_key.0_RetainedState", "dtype": "F16"`) {
		t.Errorf("mxfp6 weights, f16 cache: %s", info)
	}
	if _, err := m.Compile(WithKVCacheDType("int8")); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("kv_cache_dtype int8: %v", err)
	}
	mx := must(m.Compile(WithPrefillSeqLen(4), WithCtxLen(16), WithKVCacheDType("mxint8"), WithCache(false, "")))
	defer mx.Close()
	info = must(mx.Info())
	if !strings.Contains(info, `"output": "past_key.0_RetainedState", "dtype": "U8"`) ||
		!strings.Contains(info, `"qeff.kv_cache_dtype": "MXINT8"`) {
		t.Errorf("mxint8 cache: %s", info)
	}
}

// Pre-quantized AWQ / GPTQ / compressed-tensors checkpoints: U4 weights, kept
// as q4 layouts by default, dequantized to f32 on request.
func TestInt4Checkpoints(t *testing.T) {
	for _, name := range []string{"llama-tiny-awq", "llama-tiny-gptq", "qwen2-tiny-ct"} {
		m := must(Load(modelDir(t, name)))
		if d := must(m.WeightDType()); d != DTypeU4 {
			t.Errorf("%s: weight dtype %s", name, d)
		}
		kept := `"weight_formats": {"f32.panel16": 1, "q4.strip128x32h": 14}`
		if name == "llama-tiny-gptq" { // groups of 64 spanning K = 64: stored in groups of 128
			kept = `"weight_formats": {"f32.panel16": 1, "q4.strip128x128h": 12, "q4.strip128x32h": 2}`
		}
		for mode, want := range map[string]string{
			"keep":       kept,
			"dequantize": `"weight_formats": {"f32.panel16": 15}`,
		} {
			p := must(m.Compile(WithPrefillSeqLen(4), WithCtxLen(16), WithOption("compile.quantized_checkpoint", mode),
				WithCache(false, "")))
			if info := must(p.Info()); !strings.Contains(info, want) {
				t.Errorf("%s %s: %s", name, mode, info)
			}
			p.Close()
		}
		if _, err := m.Compile(WithOption("compile.quantized_checkpoint", "requantize")); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: quantized_checkpoint requantize: %v", name, err)
		}
		m.Close()
	}
}
