// Flags -> qeff_options keys (options.hpp).
#include "options.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "json_out.hpp"

namespace qcli {
namespace {

enum class Kind { Int, Float, String, IntList, SetTrue, SetFalse, Path, JsonOrFile, StringList };

struct Mapping {
  const char *flag;
  const char *key;
  Kind kind;
};

// The one table of flag -> key (aliases resolve to the first name).
constexpr Mapping kTable[] = {
    {"--threads", "runtime.threads", Kind::Int},
    {"--cache-dir", "cache.dir", Kind::Path},
    {"--no-cache", "cache.enabled", Kind::SetFalse},
    {"--batch-size", "compile.batch_size", Kind::Int},
    {"--seq-len", "compile.seq_len", Kind::IntList},
    {"--prefill-seq-len", "compile.prefill_seq_len", Kind::Int},
    {"--ctx-len", "compile.ctx_len", Kind::Int},
    {"--dtype", "compile.weight_dtype", Kind::String},
    {"--int4-block-size", "compile.int4_block_size", Kind::Int},
    {"--kv-cache-dtype", "model.kv_cache_dtype", Kind::String},
    {"--quantized-checkpoint", "compile.quantized_checkpoint", Kind::String},
    {"--specializations", "compile.specializations", Kind::JsonOrFile},
    {"--no-fuse", "compile.fuse", Kind::SetFalse},
    {"--pooling", "model.pooling", Kind::String},
    {"--normalize", "model.normalize", Kind::SetTrue},
    {"--no-normalize", "model.normalize", Kind::SetFalse},
    {"--max-new-tokens", "generate.max_new_tokens", Kind::Int},
    {"--do-sample", "generate.do_sample", Kind::SetTrue},
    {"--temperature", "generate.temperature", Kind::Float},
    {"--top-k", "generate.top_k", Kind::Int},
    {"--top-p", "generate.top_p", Kind::Float},
    {"--min-p", "generate.min_p", Kind::Float},
    {"--repetition-penalty", "generate.repetition_penalty", Kind::Float},
    {"--presence-penalty", "generate.presence_penalty", Kind::Float},
    {"--frequency-penalty", "generate.frequency_penalty", Kind::Float},
    {"--seed", "generate.seed", Kind::Int},
    {"--stop", "generate.stop", Kind::StringList},
    {"--ignore-eos", "generate.ignore_eos", Kind::SetTrue},
    {"--truncate", "generate.truncate", Kind::SetTrue},
    {"--keep-special-tokens", "generate.skip_special_tokens", Kind::SetFalse},
};

constexpr const char *kSamplingFlags[] = {"--do-sample", "--temperature", "--top-k", "--top-p", "--min-p"};

void set_or_usage(qeff_status status, const std::string &flag) {
  if (status == QEFF_OK) return;
  throw UsageError(flag + ": " + qeff_last_error_message());
}

std::string read_text_file(const std::string &path, const std::string &flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Failure(QEFF_E_NOT_FOUND, flag + ": cannot open " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void apply(qeff_options *o, const Mapping &m, const Args &a) {
  const std::string flag = m.flag;
  switch (m.kind) {
    case Kind::Int:
      set_or_usage(qeff_options_set_int(o, m.key, *a.int_opt(flag, INT64_MIN, INT64_MAX)), flag);
      break;
    case Kind::Float:
      set_or_usage(qeff_options_set_float(o, m.key, *a.float_opt(flag)), flag);
      break;
    case Kind::String:
      set_or_usage(qeff_options_set_string(o, m.key, a.str(flag)->c_str()), flag);
      break;
    case Kind::Path:
      set_or_usage(qeff_options_set_string(o, m.key, absolute_path(*a.str(flag)).c_str()), flag);
      break;
    case Kind::IntList: {
      auto v = a.int_list(flag, 1, INT64_MAX);
      set_or_usage(qeff_options_set_int_list(o, m.key, v.data(), v.size()), flag);
      break;
    }
    case Kind::SetTrue:
      set_or_usage(qeff_options_set_bool(o, m.key, 1), flag);
      break;
    case Kind::SetFalse:
      set_or_usage(qeff_options_set_bool(o, m.key, 0), flag);
      break;
    case Kind::JsonOrFile: {
      std::string v = a.str_or(flag, "");
      std::error_code ec;
      if (!v.empty() && v[0] != '[' && v[0] != '{' && std::filesystem::is_regular_file(v, ec))
        v = read_text_file(v, flag);
      set_or_usage(qeff_options_set_string(o, m.key, v.c_str()), flag);
      break;
    }
    case Kind::StringList: {
      std::string list = "[";
      for (const auto &s : a.all(flag)) list += (list.size() > 1 ? "," : "") + json_quote(s);
      list += "]";
      set_or_usage(qeff_options_set_string(o, m.key, list.c_str()), flag);
      break;
    }
  }
}

void log_to_stderr(qeff_log_level level, const char *message, void *) {
  static const char *names[] = {"error", "warning", "info", "debug"};
  std::fprintf(stderr, "qeff: %s: %s\n", names[level <= QEFF_LOG_DEBUG ? level : QEFF_LOG_DEBUG], message);
}

}  // namespace

void add_common_flags(Spec &s) {
  s.section("Common options")
      .values("--option", "KEY=VALUE", "set any qeff_options key (docs/options.md), e.g. -o limits.input_bytes=1000")
      .alias("-o", "--option")
      .flag("--verbose", "log the library's messages (info and up) on stderr")
      .alias("-v", "--verbose");
}

void add_runtime_flags(Spec &s) {
  s.section("Runtime").value("--threads", "N", "threads per session (0: one per hardware thread)");
}

void add_cache_flags(Spec &s) {
  s.section("Compile cache")
      .value("--cache-dir", "DIR", "compile cache root (default: QEFF_HOME, else ~/.cache/qeff)")
      .flag("--no-cache", "compile without looking up or storing in the cache");
}

void add_lm_compile_flags(Spec &s) {
  s.section("Compile (causal LM)")
      .value("--prefill-seq-len", "N", "prompt chunk length compiled for prefill (default 32)")
      .alias("--prompt-len", "--prefill-seq-len")
      .value("--ctx-len", "N", "context length: prompt + generated tokens (default 128)")
      .value("--batch-size", "N", "rows run together (default 1)")
      .value("--dtype", "f32|bf16|f16|int8|int4|mxfp6", "storage of the float matmul weights (default f32)")
      .value("--kv-cache-dtype", "f32|f16|bf16|mxint8", "element type of the KV cache (default f32)")
      .value("--quantized-checkpoint", "keep|dequantize",
             "AWQ / GPTQ / compressed-tensors int4 weights: run as int4 (keep, default) or dequantize to --dtype")
      .value("--specializations", "JSON|FILE", "explicit specializations (overrides the lengths above)")
      .flag("--no-fuse", "skip the fusion pass");
}

void add_encoder_compile_flags(Spec &s) {
  s.section("Compile (encoder)")
      .value("--seq-len", "N,N,...", "sequence lengths compiled, one specialization each (default 32,128,512)")
      .value("--batch-size", "N", "rows run together (default 1)")
      .value("--dtype", "f32|bf16|f16|int8|int4|mxfp6", "storage of the float matmul weights (default f32)")
      .value("--pooling", "P", "mean, cls, max, mean_sqrt_len, last_token or none (default: the model's)")
      .flag("--normalize", "L2-normalize the embeddings")
      .flag("--no-normalize", "do not normalize (default: the model's sentence-transformers setting)")
      .value("--specializations", "JSON|FILE", "explicit specializations (overrides the lengths above)")
      .flag("--no-fuse", "skip the fusion pass");
}

void add_generate_flags(Spec &s) {
  s.section("Generation")
      .value("--max-new-tokens", "N", "most new tokens per row (default: generation_config.json, else to ctx-len)")
      .flag("--do-sample", "sample instead of greedy decoding")
      .value("--temperature", "T", "sampling temperature (implies --do-sample)")
      .value("--top-k", "K", "keep the K most likely tokens (implies --do-sample)")
      .value("--top-p", "P", "nucleus mass (implies --do-sample)")
      .value("--min-p", "P", "drop tokens below P x the top probability (implies --do-sample)")
      .value("--repetition-penalty", "R", "HF repetition penalty (greedy too)")
      .value("--presence-penalty", "X", "subtracted from the logits of generated tokens")
      .value("--frequency-penalty", "X", "subtracted once per earlier occurrence")
      .value("--seed", "N", "sampler seed: the same seed gives the same text")
      .values("--stop", "S", "stop string (repeatable); the text ends before it")
      .flag("--ignore-eos", "keep generating after an end-of-sequence token")
      .flag("--truncate", "keep the end of a prompt too long for the context instead of failing")
      .flag("--keep-special-tokens", "keep special tokens in the generated text");
}

const std::vector<std::string> &generate_flag_names() {
  static const std::vector<std::string> names = {
      "--max-new-tokens", "--do-sample", "--temperature", "--top-k", "--top-p", "--min-p",
      "--repetition-penalty", "--presence-penalty", "--frequency-penalty", "--seed", "--stop",
      "--ignore-eos", "--keep-special-tokens", "--stream", "--prompt", "--prompts-file", "--no-stats"};
  return names;
}

bool sampling_requested(const Args &args) {
  for (const char *f : kSamplingFlags)
    if (args.has(f)) return true;
  return false;
}

Options make_options(const Args &args, bool generation) {
  qeff_options *raw = nullptr;
  check(qeff_options_create(&raw));
  Options o(raw);
  for (const auto &m : kTable)
    if (args.has(m.flag)) apply(o.get(), m, args);
  // Greedy unless asked otherwise, whatever generation_config.json says.
  const bool sampling = sampling_requested(args);
  if (generation || sampling)
    set_or_usage(qeff_options_set_bool(o.get(), "generate.do_sample", sampling ? 1 : 0), "--do-sample");
  for (const auto &kv : args.all("--option")) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("--option expects KEY=VALUE, got '" + kv + "'");
    set_or_usage(qeff_options_set(o.get(), kv.substr(0, eq).c_str(), kv.substr(eq + 1).c_str()), "--option");
  }
  return o;
}

void setup_logging(const Args &args) {
  if (args.has("--verbose")) qeff_set_log_callback(log_to_stderr, QEFF_LOG_INFO, nullptr);
}

}  // namespace qcli
