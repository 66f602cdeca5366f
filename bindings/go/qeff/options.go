package qeff

import (
	"encoding/json"
	"fmt"
	"strings"

	capi "qeff.dev/qeff/internal/capi"
)

type cOptions = capi.SwigcptrStruct_SS_qeff_options

// OptionType is the type of an option's value (qeff_option_type).
type OptionType int

// Option value types.
const (
	OptionBool    OptionType = 0
	OptionInt     OptionType = 1
	OptionFloat   OptionType = 2
	OptionString  OptionType = 3
	OptionIntList OptionType = 4
)

// String returns "bool", "int", "float", "string" or "int list".
func (t OptionType) String() string {
	switch t {
	case OptionBool:
		return "bool"
	case OptionInt:
		return "int"
	case OptionFloat:
		return "float"
	case OptionString:
		return "string"
	case OptionIntList:
		return "int list"
	}
	return fmt.Sprintf("OptionType(%d)", int(t))
}

// OptionKey describes one known option key (docs/options.md).
type OptionKey struct {
	Name        string
	Type        OptionType
	Description string
}

// OptionKeys lists every option key libqeff knows, with its type and a
// one-line description (qeff_options_key_count / qeff_options_key_info).
func OptionKeys() ([]OptionKey, error) {
	n := int(capi.Qeff_options_key_count())
	keys := make([]OptionKey, 0, n)
	for i := 0; i < n; i++ {
		var name, desc string
		var typ int32
		if err := check("OptionKeys", capi.Qeff_options_key_info(int64(i), &name, &typ, &desc)); err != nil {
			return nil, err
		}
		keys = append(keys, OptionKey{Name: name, Type: OptionType(typ), Description: desc})
	}
	return keys, nil
}

// setting is one recorded option assignment, replayed into a C options
// object for each call.
type setting struct {
	key   string
	value any // bool, int64, float64, string, []int64, text (qeff_options_set), or a cCancel token
}

type text string

// cStringValue is the value when it goes to C as a C string (SetString, Set).
func (s setting) cStringValue() (string, bool) {
	switch v := s.value.(type) {
	case string:
		return v, true
	case text:
		return string(v), true
	}
	return "", false
}

func (s setting) apply(op string, o cOptions) error {
	if err := cString(op, "option key", s.key); err != nil {
		return err
	}
	if v, ok := s.cStringValue(); ok && strings.IndexByte(v, 0) >= 0 {
		return cString(op, fmt.Sprintf("the value of option %q", s.key), v)
	}
	var st capi.Status
	switch v := s.value.(type) {
	case bool:
		b := 0
		if v {
			b = 1
		}
		st = capi.Qeff_options_set_bool(o, s.key, b)
	case int64:
		st = capi.Qeff_options_set_int(o, s.key, v)
	case float64:
		st = capi.Qeff_options_set_float(o, s.key, v)
	case string:
		st = capi.Qeff_options_set_string(o, s.key, v)
	case []int64:
		st = capi.Qeff_options_set_int_list(o, s.key, v)
	case text:
		st = capi.Qeff_options_set(o, s.key, string(v))
	case cCancel: // withCOptionsCancel's token (no key)
		st = capi.Qeff_options_set_cancel(o, v)
	default:
		return newError(op, InvalidArgument, fmt.Sprintf("option %q: unsupported Go type %T", s.key, s.value))
	}
	return check(op, st)
}

// Options is a libqeff options object: named, typed settings (docs/options.md).
// Setting an unknown key, a wrong type or a value out of range fails at once
// with InvalidArgument. Pass it to a call with WithOptions. Not safe for
// concurrent modification; Close frees it (idempotent).
type Options struct {
	h    handle[cOptions]
	sets []setting
}

// NewOptions creates an empty options object (every key at its default).
func NewOptions() (*Options, error) {
	var p cOptions
	if err := check("NewOptions", capi.Qeff_options_create(&p)); err != nil {
		return nil, err
	}
	o := &Options{}
	o.h.set(p, func(p cOptions) { capi.Qeff_options_free(p) }, "Options")
	return safetyNet(o), nil
}

// Close frees the options object. Safe to call twice.
func (o *Options) Close() error { o.h.close(); return nil }

func (o *Options) record(op string, s setting) error {
	err := o.h.use(op, func(p cOptions) error { return s.apply(op, p) })
	if err == nil {
		o.sets = append(o.sets, s)
	}
	return err
}

// SetBool sets a bool option.
func (o *Options) SetBool(key string, v bool) error {
	return o.record("Options.SetBool", setting{key, v})
}

// SetInt sets an int option (also accepted by float options).
func (o *Options) SetInt(key string, v int64) error {
	return o.record("Options.SetInt", setting{key, v})
}

// SetFloat sets a float option.
func (o *Options) SetFloat(key string, v float64) error {
	return o.record("Options.SetFloat", setting{key, v})
}

// SetString sets a string option (UTF-8).
func (o *Options) SetString(key, v string) error {
	return o.record("Options.SetString", setting{key, v})
}

// SetIntList sets an int-list option such as "compile.seq_len".
func (o *Options) SetIntList(key string, v []int64) error {
	return o.record("Options.SetIntList", setting{key, append([]int64(nil), v...)})
}

// Set sets any option from its textual form ("true", "42", "0.5", "32,64").
func (o *Options) Set(key, value string) error {
	return o.record("Options.Set", setting{key, text(value)})
}

// Get returns an option's current value (its default when unset) in the
// textual form Set accepts.
func (o *Options) Get(key string) (string, error) {
	if err := cString("Options.Get", "option key", key); err != nil {
		return "", err
	}
	var v string
	err := o.h.use("Options.Get", func(p cOptions) error {
		return check("Options.Get", capi.Qeff_options_get(p, key, &v))
	})
	return v, err
}

// Option configures a call (Load, Compile, Generate, ...). Each call reads
// the keys meant for it (the prefix says which: "load.", "compile.",
// "generate.", ...) and ignores the others, so one list can serve several
// calls. Invalid keys and values fail the call with InvalidArgument.
type Option func(*[]setting)

func opt(key string, v any) Option { return func(s *[]setting) { *s = append(*s, setting{key, v}) } }

// WithOption sets any option key: value is a bool, an int type, a float64,
// a string, an []int / []int64 (int lists), each mapped to the typed setter.
func WithOption(key string, value any) Option {
	switch v := value.(type) {
	case int:
		return opt(key, int64(v))
	case int32:
		return opt(key, int64(v))
	case float32:
		return opt(key, float64(v))
	case []int:
		l := make([]int64, len(v))
		for i, x := range v {
			l[i] = int64(x)
		}
		return opt(key, l)
	case []int64:
		return opt(key, append([]int64(nil), v...))
	}
	return opt(key, value)
}

// WithOptionText sets any option key from its textual form (qeff_options_set),
// e.g. from a command line or a config file.
func WithOptionText(key, value string) Option { return opt(key, text(value)) }

// WithOptions replays every setting made on o (its successful Set* calls).
func WithOptions(o *Options) Option {
	sets := append([]setting(nil), o.sets...)
	return func(s *[]setting) { *s = append(*s, sets...) }
}

// WithBatchSize sets "compile.batch_size" (QEfficient's batch_size).
func WithBatchSize(n int) Option { return opt("compile.batch_size", int64(n)) }

// WithSeqLen sets "compile.seq_len": the encoder sequence lengths, one
// specialization each (QEfficient's seq_len).
func WithSeqLen(lens ...int) Option { return WithOption("compile.seq_len", lens) }

// WithPrefillSeqLen sets "compile.prefill_seq_len", the causal-LM prompt chunk.
func WithPrefillSeqLen(n int) Option { return opt("compile.prefill_seq_len", int64(n)) }

// WithCtxLen sets "compile.ctx_len", the causal-LM context length.
func WithCtxLen(n int) Option { return opt("compile.ctx_len", int64(n)) }

// WithWeightDType sets "compile.weight_dtype" ("f32", "bf16", "f16", "int8",
// "int4" or "mxfp6").
func WithWeightDType(dtype string) Option { return opt("compile.weight_dtype", dtype) }

// WithKVCacheDType sets "model.kv_cache_dtype": a causal LM's KV cache in
// "f32", "f16", "bf16" or "mxint8" (U8 rows: int8 elements with an E8M0 scale
// per 32).
func WithKVCacheDType(dtype string) Option { return opt("model.kv_cache_dtype", dtype) }

// WithThreads sets "runtime.threads", the threads per session (QEfficient's
// num_cores); 0 means one per hardware thread.
func WithThreads(n int) Option { return opt("runtime.threads", int64(n)) }

// WithPooling sets "model.pooling" for embedding models ("mean", "cls", "max",
// "mean_sqrt_len", "last_token", "none").
func WithPooling(pooling string) Option { return opt("model.pooling", pooling) }

// WithNormalize sets "model.normalize" (L2-normalize the embeddings).
func WithNormalize(on bool) Option { return opt("model.normalize", on) }

// WithCache sets "cache.enabled" (the compile cache) and, when dir is not
// empty, "cache.dir" (an absolute path).
func WithCache(enabled bool, dir string) Option {
	return func(s *[]setting) {
		*s = append(*s, setting{"cache.enabled", enabled})
		if dir != "" {
			*s = append(*s, setting{"cache.dir", dir})
		}
	}
}

// WithMaxNewTokens sets "generate.max_new_tokens".
func WithMaxNewTokens(n int) Option { return opt("generate.max_new_tokens", int64(n)) }

// WithSampling turns on sampling ("generate.do_sample") with a seed,
// temperature and top-p; use WithOption for top_k, min_p and penalties.
func WithSampling(seed int64, temperature, topP float64) Option {
	return func(s *[]setting) {
		*s = append(*s, setting{"generate.do_sample", true}, setting{"generate.seed", seed},
			setting{"generate.temperature", temperature}, setting{"generate.top_p", topP})
	}
}

// WithStop sets "generate.stop": the text ends before the first stop string.
func WithStop(stop ...string) Option {
	b, _ := json.Marshal(stop)
	return opt("generate.stop", string(b))
}

// WithTruncate sets "generate.truncate": cut rows too long for the compiled
// lengths (embeddings) or keep the end of a prompt too long for the context.
func WithTruncate(on bool) Option { return opt("generate.truncate", on) }

// withCOptions builds a C options object from opts for the duration of fn
// (NULL when there are none: the C defaults).
func withCOptions(op string, opts []Option, fn func(cOptions) error) error {
	var sets []setting
	for _, o := range opts {
		if o != nil {
			o(&sets)
		}
	}
	if len(sets) == 0 {
		return fn(cOptions(0))
	}
	var p cOptions
	if err := check(op, capi.Qeff_options_create(&p)); err != nil {
		return err
	}
	defer capi.Qeff_options_free(p)
	for _, s := range sets {
		if err := s.apply(op, p); err != nil {
			return err
		}
	}
	return fn(p)
}
