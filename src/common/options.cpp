#include "common/options.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "common/error.hpp"

namespace qeff {
namespace {

constexpr double kI64Max = 9.2e18;

const std::vector<OptionSpec> kRegistry = {
    {"limits.json_bytes", QEFF_OPTION_INT, "134217728", 1, kI64Max,
     "largest JSON file read (config, tokenizer, index), in bytes"},
    {"limits.json_depth", QEFF_OPTION_INT, "64", 1, 1000, "deepest JSON nesting accepted"},
    {"limits.safetensors_header_bytes", QEFF_OPTION_INT, "100000000", 2, kI64Max,
     "largest safetensors JSON header, in bytes (the format's own cap is 100 MB)"},
    {"limits.tensor_count", QEFF_OPTION_INT, "1000000", 1, kI64Max,
     "most tensors in one model (over all shards)"},
    {"limits.tensor_rank", QEFF_OPTION_INT, "8", 1, 64, "highest tensor rank accepted"},
    {"limits.shard_count", QEFF_OPTION_INT, "10000", 1, 1000000,
     "most distinct safetensors shards in a sharded checkpoint"},
    {"limits.config_dim", QEFF_OPTION_INT, "16777216", 1, kI64Max,
     "largest size accepted for any config.json dimension (vocab, hidden, layers, ...)"},
    {"limits.input_bytes", QEFF_OPTION_INT, "67108864", 1, kI64Max,
     "largest text accepted in one request row, in bytes"},
    {"limits.batch_rows", QEFF_OPTION_INT, "4096", 1, kI64Max,
     "most rows in one request (qeff_generate, qeff_generate_stream, qeff_stream_create)"},
    {"limits.request_bytes", QEFF_OPTION_INT, "268435456", 1, kI64Max,
     "most text bytes in one request, summed over its rows"},
    {"limits.request_tokens", QEFF_OPTION_INT, "16777216", 1, kI64Max,
     "most token ids in one request, summed over its rows (rows given as token ids)"},
    {"limits.onnx_model_bytes", QEFF_OPTION_INT, "2147483647", 1, 2147483647,
     "largest .onnx file qeff_compile_onnx reads (external data apart)"},
    {"limits.onnx_nodes", QEFF_OPTION_INT, "1000000", 1, kI64Max, "most nodes in an imported ONNX graph"},
    {"limits.onnx_initializers", QEFF_OPTION_INT, "1000000", 1, kI64Max,
     "most initializers in an imported ONNX graph"},
    {"limits.onnx_attribute_elements", QEFF_OPTION_INT, "16777216", 1, kI64Max,
     "most elements in one list or tensor attribute of an imported ONNX node"},
    {"limits.onnx_external_bytes", QEFF_OPTION_INT, "1099511627776", 1, kI64Max,
     "most bytes of external data an imported ONNX model may reference, summed"},
    {"limits.program_bytes", QEFF_OPTION_INT, "0", 0, kI64Max,
     "most bytes one session of a program may allocate (every specialization's arena plus the retained "
     "state, e.g. the KV cache), checked by compile and program load before anything is allocated; 0: the "
     "machine's physical memory"},
    {"load.allowed_root", QEFF_OPTION_STRING, "", 0, 0,
     "an extra directory that symlinks in the model directory may resolve into"},
    {"load.check_tensors", QEFF_OPTION_BOOL, "false", 0, 0,
     "scan every floating-point weight at load and fail with QEFF_E_NUMERIC on NaN/Inf"},
    {"tokenize.add_special_tokens", QEFF_OPTION_BOOL, "true", 0, 0,
     "insert the tokenizer's special tokens (BOS, [CLS]/[SEP], ...) when encoding"},
    {"tokenize.parse_special", QEFF_OPTION_BOOL, "false", 0, 0,
     "match special-token strings in the text (trusted templates only); false: they are literal text"},
    {"tokenize.truncation", QEFF_OPTION_INT, "0", 0, 2147483647,
     "most tokens per encoded row, special tokens included; 0: no truncation"},
    {"tokenize.padding", QEFF_OPTION_STRING, "none", 0, 0,
     "pad the rows of an encoding: none, longest (of the batch) or max_length (tokenize.truncation, "
     "else the tokenizer's model_max_length)"},
    {"tokenize.pad_to_multiple_of", QEFF_OPTION_INT, "0", 0, 2147483647,
     "round the padded length up to a multiple of this; 0: none"},
    {"tokenize.padding_side", QEFF_OPTION_STRING, "", 0, 0,
     "right or left; \"\": the tokenizer_config.json padding_side"},
    {"model.pooling", QEFF_OPTION_STRING, "", 0, 0,
     "pooling head of an embedding model: mean, avg (= mean), cls, max, mean_sqrt_len, last_token or none; "
     "\"\": the sentence-transformers files, else mean"},
    {"model.normalize", QEFF_OPTION_BOOL, "false", 0, 0,
     "L2-normalize embeddings; unset: whether the sentence-transformers pipeline has a Normalize module"},
    {"model.kv_cache_dtype", QEFF_OPTION_STRING, "f32", 0, 0,
     "element type of a causal LM's KV cache (its past_key/past_value inputs and outputs): f32, f16, bf16 or "
     "mxint8 (U8 rows: int8 elements with an E8M0 scale per 32); attention reads the cache in place"},
    {"export.overwrite", QEFF_OPTION_BOOL, "false", 0, 0, "let qeff_export replace an existing model.onnx"},
    {"compile.target", QEFF_OPTION_STRING, "cpu", 0, 0, "the target to compile for (this build: cpu)"},
    {"compile.specializations", QEFF_OPTION_STRING, "", 0, 0,
     "JSON specializations: [{\"name\": \"Prefill\", \"symbols\": {\"batch_size\": 1, ...}}, ...] or "
     "QEfficient's {\"specializations\": [...]}; overrides the natural parameters below"},
    {"compile.batch_size", QEFF_OPTION_INT, "1", 1, 65536, "batch size (symbol batch_size)"},
    {"compile.seq_len", QEFF_OPTION_INT_LIST, "", 1, 1048576,
     "sequence lengths of an encoder (symbol seq_len): one specialization each"},
    {"compile.prefill_seq_len", QEFF_OPTION_INT, "32", 1, 1048576,
     "prompt chunk length of a causal LM's Prefill specialization (symbol seq_len)"},
    {"compile.ctx_len", QEFF_OPTION_INT, "128", 1, 1048576, "context length of a causal LM (symbol ctx_len)"},
    {"compile.weight_dtype", QEFF_OPTION_STRING, "f32", 0, 0,
     "storage of float matmul weights: f32, bf16 or f16 (f32 math), int8 (per-column weight scales, per-row dynamic "
     "activation quantization), int4 (groups of compile.int4_block_size with f16 scales and zero points) or mxfp6 (OCP "
     "MXFP6 blocks)"},
    {"compile.int4_block_size", QEFF_OPTION_INT, "32", 32, 128,
     "k per scale and zero point of int4 weights quantized at compile time: 32 (4.75 bits per weight) or 128 (4.19 "
     "bits, the AWQ / GPTQ group size: faster decode, coarser)"},
    {"compile.quantized_checkpoint", QEFF_OPTION_STRING, "keep", 0, 0,
     "weights of a pre-quantized int4 checkpoint (AWQ, GPTQ, compressed-tensors): keep (their 4-bit values run as "
     "int4) or dequantize (exact f32 values, stored as compile.weight_dtype)"},
    {"compile.fuse", QEFF_OPTION_BOOL, "true", 0, 0, "fuse ops into kernel calls (false: for debugging)"},
    {"generate.truncate", QEFF_OPTION_BOOL, "false", 0, 0,
     "embedding: cut rows longer than the longest compiled sequence length; causal LM: keep the end of a prompt "
     "too long for the context (else QEFF_E_CONTEXT_OVERFLOW)"},
    {"generate.max_new_tokens", QEFF_OPTION_INT, "0", 0, 1048576,
     "most new tokens per row; 0: generation_config.json's max_new_tokens / max_length, else until the context "
     "is full"},
    {"generate.do_sample", QEFF_OPTION_BOOL, "false", 0, 0,
     "sample (true) or greedy (false); unset: generation_config.json's do_sample"},
    {"generate.temperature", QEFF_OPTION_FLOAT, "1", 0, 100, "sampling temperature (> 0); unset: generation_config.json"},
    {"generate.top_k", QEFF_OPTION_INT, "50", 0, 2147483647,
     "keep the k most likely tokens when sampling; 0: off; unset: generation_config.json, else 50 (HF)"},
    {"generate.top_p", QEFF_OPTION_FLOAT, "1", 0, 1, "nucleus sampling mass (0, 1]; 1: off"},
    {"generate.min_p", QEFF_OPTION_FLOAT, "0", 0, 1, "drop tokens below min_p x the top probability; 0: off"},
    {"generate.repetition_penalty", QEFF_OPTION_FLOAT, "1", 0, 100,
     "HF repetition penalty over prompt and generated tokens (> 0); 1: off"},
    {"generate.presence_penalty", QEFF_OPTION_FLOAT, "0", -2, 2,
     "subtract from the logit of every token already generated (OpenAI semantics)"},
    {"generate.frequency_penalty", QEFF_OPTION_FLOAT, "0", -2, 2,
     "subtract this x the number of times a token was generated (OpenAI semantics)"},
    {"generate.seed", QEFF_OPTION_INT, "0", 0, kI64Max, "seed of the sampler; the same seed gives the same text"},
    {"generate.stop", QEFF_OPTION_STRING, "", 0, 0,
     "stop strings as a JSON array of strings, e.g. [\"\\n\\n\", \"END\"]; the text ends before the first one"},
    {"generate.eos_token_ids", QEFF_OPTION_INT_LIST, "", 0, 2147483647,
     "token ids that end a row; unset: generation_config.json's eos_token_id"},
    {"generate.ignore_eos", QEFF_OPTION_BOOL, "false", 0, 0, "keep generating after an end-of-sequence token"},
    {"generate.skip_special_tokens", QEFF_OPTION_BOOL, "true", 0, 0,
     "leave special tokens (e.g. EOS) out of the generated text; the token ids always hold them"},
    {"runtime.threads", QEFF_OPTION_INT, "0", 0, 4096, "threads of a session; 0: one per hardware thread"},
    {"package.verify", QEFF_OPTION_BOOL, "true", 0, 0,
     "check the digests of every package file when loading a program package"},
    {"package.overwrite", QEFF_OPTION_BOOL, "false", 0, 0,
     "let qeff_program_save replace an existing package directory"},
    {"cache.dir", QEFF_OPTION_STRING, "", 0, 0,
     "root of the compile cache (an absolute path); \"\": QEFF_HOME, else $XDG_CACHE_HOME/qeff, else "
     "$HOME/.cache/qeff"},
    {"cache.enabled", QEFF_OPTION_BOOL, "true", 0, 0,
     "look up and store export and compile results in the compile cache"},
};

std::string type_name(qeff_option_type t) {
  switch (t) {
    case QEFF_OPTION_BOOL: return "a bool";
    case QEFF_OPTION_INT: return "an int";
    case QEFF_OPTION_FLOAT: return "a float";
    case QEFF_OPTION_STRING: return "a string";
    case QEFF_OPTION_INT_LIST: return "an int list";
  }
  return "an unknown type";
}

const OptionSpec &spec_or_fail(const std::string &key) {
  const OptionSpec *s = find_option(key);
  if (s == nullptr) {
    std::string known;
    for (const auto &o : kRegistry) known += (known.empty() ? "" : ", ") + std::string(o.name);
    fail(QEFF_E_INVALID_ARGUMENT, "unknown option " + quote(key) + " (known: " + known + ")");
  }
  return *s;
}

const OptionSpec &spec_of_type(const std::string &key, qeff_option_type type) {
  const OptionSpec &s = spec_or_fail(key);
  if (s.type != type)
    fail(QEFF_E_INVALID_ARGUMENT, "option " + quote(key) + " takes " + type_name(s.type) +
                                      " value, not " + type_name(type));
  return s;
}

// A bound as the user would write it: integers in full (not "1e+06").
std::string bound_text(const OptionSpec &s, double v) {
  if (s.type == QEFF_OPTION_INT || s.type == QEFF_OPTION_INT_LIST)
    return std::to_string(static_cast<int64_t>(v));  // registry bounds fit int64
  std::ostringstream o;
  o.precision(17);
  o << v;
  return o.str();
}

void check_range(const OptionSpec &s, double v, const std::string &shown) {
  if (!(v >= s.min && v <= s.max))
    fail(QEFF_E_INVALID_ARGUMENT, "option " + quote(s.name) + " = " + shown + " is out of range [" +
                                      bound_text(s, s.min) + ", " + bound_text(s, s.max) + "]");
}

bool parse_int(const std::string &t, int64_t *out) {
  if (t.empty()) return false;
  errno = 0;
  char *end = nullptr;
  long long v = std::strtoll(t.c_str(), &end, 10);
  if (errno != 0 || end != t.c_str() + t.size()) return false;
  *out = v;
  return true;
}

// The shortest text that reads back as exactly `v` ("0.7", not "0.69999999999999996").
std::string format_float(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string format_list(const std::vector<int64_t> &v) {
  std::string t;
  for (size_t i = 0; i < v.size(); ++i) t += (i ? "," : "") + std::to_string(v[i]);
  return t;
}

// Parses a value of `spec`'s type from text, validating it; throws on failure.
OptionValue parse_value(const OptionSpec &spec, const std::string &text) {
  OptionValue v;
  v.type = spec.type;
  auto bad = [&](const char *what) {
    fail(QEFF_E_INVALID_ARGUMENT,
         "option " + quote(spec.name) + ": " + quote(text) + " is not " + what);
  };
  switch (spec.type) {
    case QEFF_OPTION_BOOL:
      if (text == "true" || text == "1") v.b = true;
      else if (text == "false" || text == "0") v.b = false;
      else bad("a bool (true/false/1/0)");
      v.text = v.b ? "true" : "false";
      break;
    case QEFF_OPTION_INT:
      if (!parse_int(text, &v.i)) bad("an integer");
      check_range(spec, static_cast<double>(v.i), text);
      v.text = std::to_string(v.i);
      break;
    case QEFF_OPTION_FLOAT: {
      errno = 0;
      char *end = nullptr;
      v.f = std::strtod(text.c_str(), &end);
      if (text.empty() || errno != 0 || end != text.c_str() + text.size() || !std::isfinite(v.f))
        bad("a finite number");
      check_range(spec, v.f, text);
      v.text = format_float(v.f);
      break;
    }
    case QEFF_OPTION_STRING:
      v.s = text;
      v.text = text;
      break;
    case QEFF_OPTION_INT_LIST: {
      size_t start = 0;
      while (!text.empty() && start <= text.size()) {
        size_t comma = text.find(',', start);
        if (comma == std::string::npos) comma = text.size();
        int64_t x;
        if (!parse_int(text.substr(start, comma - start), &x)) bad("a comma-separated integer list");
        check_range(spec, static_cast<double>(x), text);
        v.list.push_back(x);
        start = comma + 1;
      }
      v.text = format_list(v.list);
      break;
    }
  }
  return v;
}

}  // namespace

const std::vector<OptionSpec> &option_registry() { return kRegistry; }

const OptionSpec *find_option(const std::string &name) {
  for (const auto &o : kRegistry)
    if (name == o.name) return &o;
  return nullptr;
}

void Options::set_bool(const std::string &key, bool v) {
  spec_of_type(key, QEFF_OPTION_BOOL);
  OptionValue o;
  o.type = QEFF_OPTION_BOOL;
  o.b = v;
  o.text = v ? "true" : "false";
  values_[key] = std::move(o);
}

void Options::set_int(const std::string &key, int64_t v) {
  const OptionSpec &s = spec_or_fail(key);
  if (s.type == QEFF_OPTION_FLOAT) return set_float(key, static_cast<double>(v));
  spec_of_type(key, QEFF_OPTION_INT);
  check_range(s, static_cast<double>(v), std::to_string(v));
  OptionValue o;
  o.type = QEFF_OPTION_INT;
  o.i = v;
  o.text = std::to_string(v);
  values_[key] = std::move(o);
}

void Options::set_float(const std::string &key, double v) {
  const OptionSpec &s = spec_of_type(key, QEFF_OPTION_FLOAT);
  if (!std::isfinite(v))
    fail(QEFF_E_INVALID_ARGUMENT, "option " + quote(key) + " must be finite, got " + format_float(v));
  check_range(s, v, format_float(v));
  OptionValue o;
  o.type = QEFF_OPTION_FLOAT;
  o.f = v;
  o.text = format_float(v);
  values_[key] = std::move(o);
}

void Options::set_string(const std::string &key, const std::string &v) {
  const OptionSpec &s = spec_of_type(key, QEFF_OPTION_STRING);
  values_[key] = parse_value(s, v);
}

void Options::set_int_list(const std::string &key, const std::vector<int64_t> &v) {
  const OptionSpec &s = spec_of_type(key, QEFF_OPTION_INT_LIST);
  for (int64_t x : v) check_range(s, static_cast<double>(x), format_list(v));
  OptionValue o;
  o.type = QEFF_OPTION_INT_LIST;
  o.list = v;
  o.text = format_list(v);
  values_[key] = std::move(o);
}

void Options::set_text(const std::string &key, const std::string &text) {
  values_[key] = parse_value(spec_or_fail(key), text);
}

const OptionValue &Options::value(const std::string &key, qeff_option_type type) const {
  auto it = values_.find(key);
  if (it != values_.end()) {
    if (it->second.type != type)
      fail(QEFF_E_INTERNAL, "option " + quote(key) + " read with the wrong type");
    return it->second;
  }
  // Defaults are parsed once and kept for the life of the process.
  static const std::map<std::string, OptionValue> defaults = [] {
    std::map<std::string, OptionValue> d;
    for (const auto &o : kRegistry) d[o.name] = parse_value(o, o.default_text);
    return d;
  }();
  auto d = defaults.find(key);
  if (d == defaults.end() || d->second.type != type)
    fail(QEFF_E_INTERNAL, "option " + quote(key) + " read with the wrong type or unknown");
  return d->second;
}

bool Options::get_bool(const std::string &key) const { return value(key, QEFF_OPTION_BOOL).b; }
int64_t Options::get_int(const std::string &key) const { return value(key, QEFF_OPTION_INT).i; }
double Options::get_float(const std::string &key) const { return value(key, QEFF_OPTION_FLOAT).f; }
const std::string &Options::get_string(const std::string &key) const {
  return value(key, QEFF_OPTION_STRING).s;
}
const std::vector<int64_t> &Options::get_int_list(const std::string &key) const {
  return value(key, QEFF_OPTION_INT_LIST).list;
}
const std::string &Options::get_text(const std::string &key) const {
  return value(key, spec_or_fail(key).type).text;
}

}  // namespace qeff
