// qeff bench: throughput and latency of a model on this machine: N timed
// runs after W warm-up runs, reported as min / median / max. Encoders: one
// batch of --batch-size rows of --seq-len tokens per run (rows/s, tokens/s).
// Causal LMs: one prompt of --prompt-len tokens and --max-new-tokens new ones
// per run, EOS ignored (TTFT, prefill and decode tokens/s).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "commands.hpp"
#include "inputs.hpp"
#include "json_out.hpp"
#include "options.hpp"

namespace qcli {
namespace {

struct Summary {
  double min = 0, median = 0, max = 0;
};

Summary summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return {v.front(), n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v.back()};
}

// Token rows of fixed length with ids spread over the vocabulary.
Inputs synthetic_rows(size_t rows, size_t length, int64_t vocab) {
  Inputs in;
  const int64_t span = std::max<int64_t>(vocab - 5, 1);
  for (size_t r = 0; r < rows; ++r) {
    std::vector<int32_t> ids(length);
    for (size_t j = 0; j < length; ++j) ids[j] = static_cast<int32_t>(5 + static_cast<int64_t>(r * 131 + j * 7) % span);
    in.ids.push_back(std::move(ids));
  }
  return in;
}

Spec bench_spec() {
  Spec s("bench",
         "qeff bench --model DIR [--runs N] [--warmup N] [embed: --batch-size N --seq-len N] "
         "[lm: --prompt-len N --max-new-tokens N] [--json]",
         "Measure a model on this machine: compile (cached), then time --runs runs after\n"
         "--warmup untimed ones and report min / median / max.");
  s.section("Benchmark")
      .value("--model", "DIR", "HuggingFace model directory")
      .value("--runs", "N", "timed runs (default 10)")
      .value("--warmup", "N", "untimed runs first (default 2)")
      .value("--batch-size", "N", "rows per run (default 1)")
      .value("--seq-len", "N", "encoders: tokens per row (default 128, capped by the model's positions)")
      .value("--prompt-len", "N", "causal LMs: prompt tokens, also the prefill chunk (default 32)")
      .value("--max-new-tokens", "N", "causal LMs: tokens generated per run (default 32)")
      .value("--ctx-len", "N", "causal LMs: context length (default: prompt + new tokens, rounded up to 32)")
      .value("--dtype", "f32|bf16|f16|int8|int4|mxfp6", "storage of the float matmul weights (default f32)")
      .value("--kv-cache-dtype", "f32|f16|bf16|mxint8", "causal LMs: element type of the KV cache (default f32)")
      .flag("--json", "print one JSON object with the configuration and every metric's min/median/max");
  add_runtime_flags(s);
  add_cache_flags(s);
  add_common_flags(s);
  s.epilog("Examples:\n  qeff bench --model tests/fixtures/models/bert-tiny --batch-size 8 --seq-len 64\n"
           "  qeff bench --model tests/fixtures/models/llama-tiny --prompt-len 32 --max-new-tokens 64 --json");
  return s;
}

int bench_run(const Args &a) {
  a.require("--model");
  const int64_t runs = a.int_or("--runs", 10, 1, 1000000);
  const int64_t warmup = a.int_or("--warmup", 2, 0, 1000000);
  const int64_t batch = a.int_or("--batch-size", 1, 1, 65536);
  Options options = make_options(a);
  Model model = load_model(*a.str("--model"), options.get());
  qeff_task task = QEFF_TASK_UNKNOWN;
  int64_t vocab = 0;
  check(qeff_model_task(model.get(), &task));
  check(qeff_model_vocab_size(model.get(), &vocab));
  const bool lm = task == QEFF_TASK_CAUSAL_LM;
  std::map<std::string, int64_t> config = {{"batch_size", batch}, {"runs", runs}, {"warmup", warmup}};
  Inputs in;
  if (lm) {
    a.reject({"--seq-len"}, "applies to encoders; this is a causal LM (use --prompt-len)");
    const int64_t prompt = a.int_or("--prompt-len", 32, 1, 1048576);
    const int64_t fresh = a.int_or("--max-new-tokens", 32, 1, 1048576);
    const int64_t ctx = a.int_or("--ctx-len", (prompt + fresh + 1 + 31) / 32 * 32, 2, 1048576);
    check(qeff_options_set_int(options.get(), "compile.prefill_seq_len", prompt));
    check(qeff_options_set_int(options.get(), "compile.ctx_len", ctx));
    check(qeff_options_set_int(options.get(), "generate.max_new_tokens", fresh));
    check(qeff_options_set_bool(options.get(), "generate.ignore_eos", 1));
    check(qeff_options_set_bool(options.get(), "generate.do_sample", 0));
    config.insert({{"prompt_len", prompt}, {"max_new_tokens", fresh}, {"ctx_len", ctx}});
    in = synthetic_rows(static_cast<size_t>(batch), static_cast<size_t>(prompt), vocab);
  } else {
    a.reject({"--prompt-len", "--max-new-tokens", "--ctx-len"}, "applies to causal LMs; this model is an encoder");
    int64_t max_pos = 0;
    const char *mp = nullptr;
    if (qeff_model_config_get(model.get(), "max_position_embeddings", &mp) == QEFF_OK) max_pos = std::atoll(mp);
    const int64_t fallback = max_pos > 0 ? std::min<int64_t>(128, max_pos) : 128;
    const int64_t seq = a.int_or("--seq-len", fallback, 1, 1048576);
    check(qeff_options_set_int_list(options.get(), "compile.seq_len", &seq, 1));
    config.insert({"seq_len", seq});
    in = synthetic_rows(static_cast<size_t>(batch), static_cast<size_t>(seq), vocab);
  }
  check(qeff_options_set_int(options.get(), "compile.batch_size", batch));
  Program program = compile_model(model.get(), options.get());
  Request request = in.request(0, in.rows());
  const std::vector<const char *> names =
      lm ? std::vector<const char *>{"ttft_ms", "prefill_tokens_per_s", "decode_tokens_per_s", "total_ms"}
         : std::vector<const char *>{"latency_ms", "rows_per_s", "tokens_per_s"};
  std::map<std::string, std::vector<double>> samples;
  for (int64_t i = 0; i < warmup + runs; ++i) {
    qeff_result *raw = nullptr;
    const double start = now_seconds();
    check(qeff_generate(program.get(), request.get(), options.get(), &raw));
    const double ms = (now_seconds() - start) * 1000.0;
    Result r(raw);
    if (i < warmup) continue;
    if (lm) {
      for (const char *n : names) {
        double v = 0;
        check(qeff_result_stat(r.get(), n, &v));
        samples[n].push_back(v);
      }
    } else {
      double tokens = 0;
      check(qeff_result_stat(r.get(), "tokens", &tokens));
      samples["latency_ms"].push_back(ms);
      samples["rows_per_s"].push_back(static_cast<double>(batch) * 1000.0 / ms);
      samples["tokens_per_s"].push_back(tokens * 1000.0 / ms);
    }
  }
  const char *arch = nullptr;
  check(qeff_model_architecture(model.get(), &arch));
  if (a.has("--json")) {
    Json doc = json_object();
    json_add(doc.get(), "model", absolute_path(*a.str("--model")));
    json_add(doc.get(), "architecture", arch);
    json_add(doc.get(), "task", qeff_task_name(task));
    cJSON *c = json_add(doc.get(), "config", cJSON_CreateObject());
    for (const auto &[k, v] : config) json_add(c, k.c_str(), static_cast<double>(v));
    cJSON *m = json_add(doc.get(), "metrics", cJSON_CreateObject());
    for (const char *n : names) {
      Summary s = summarize(samples[n]);
      cJSON *o = json_add(m, n, cJSON_CreateObject());
      json_add(o, "min", s.min);
      json_add(o, "median", s.median);
      json_add(o, "max", s.max);
    }
    json_print(doc.get());
    return 0;
  }
  std::printf("%s (%s, %s):", a.str("--model")->c_str(), arch, qeff_task_name(task));
  for (const auto &[k, v] : config) std::printf(" %s=%lld", k.c_str(), static_cast<long long>(v));
  std::printf("\n%-22s %12s %12s %12s\n", "metric", "min", "median", "max");
  for (const char *n : names) {
    Summary s = summarize(samples[n]);
    std::printf("%-22s %12.2f %12.2f %12.2f\n", n, s.min, s.median, s.max);
  }
  return 0;
}

}  // namespace

const Command &bench_command() {
  static const Command c{"bench", "throughput and latency on this machine (min/median/max)", bench_spec, bench_run};
  return c;
}

}  // namespace qcli
