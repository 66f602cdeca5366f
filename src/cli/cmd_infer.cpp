// qeff infer: load a causal LM, compile it (cached) and generate; also the
// generation half of qeff execute (run_lm).
#include <cstdio>
#include <string>
#include <vector>

#include "commands.hpp"
#include "inputs.hpp"
#include "json_out.hpp"
#include "options.hpp"

namespace qcli {
namespace {

const char *finish_name(qeff_finish_reason r) {
  switch (r) {
    case QEFF_FINISH_EOS: return "eos";
    case QEFF_FINISH_LENGTH: return "length";
    case QEFF_FINISH_STOP: return "stop";
    case QEFF_FINISH_CONTEXT: return "context";
    case QEFF_FINISH_CANCELLED: return "cancelled";
    default: return "none";
  }
}

double stat(const qeff_result *r, const char *name) {
  double v = 0;
  return qeff_result_stat(r, name, &v) == QEFF_OK ? v : 0.0;
}

// The --json document: generated ids, texts, finish reasons, prompt token counts, stats.
Json result_json(const qeff_result *r) {
  size_t rows = 0;
  check(qeff_result_num_rows(r, &rows));
  Json doc = json_object();
  cJSON *ids = json_add(doc.get(), "generated_ids", cJSON_CreateArray());
  cJSON *texts = json_add(doc.get(), "generated_texts", cJSON_CreateArray());
  cJSON *reasons = json_add(doc.get(), "finish_reasons", cJSON_CreateArray());
  cJSON *prompt = json_add(doc.get(), "prompt_tokens", cJSON_CreateArray());
  for (size_t i = 0; i < rows; ++i) {
    const int32_t *tok = nullptr;
    size_t count = 0, length = 0, n = 0;
    const char *text = nullptr;
    qeff_finish_reason why = QEFF_FINISH_NONE;
    check(qeff_result_tokens(r, i, &tok, &count));
    check(qeff_result_text(r, i, &text, &length));
    check(qeff_result_finish_reason(r, i, &why));
    check(qeff_result_num_tokens(r, i, &n));
    json_push(ids, json_ints(tok, count));
    json_push(texts, json_string({text, length}));
    json_push(reasons, cJSON_CreateString(finish_name(why)));
    json_push(prompt, cJSON_CreateNumber(static_cast<double>(n)));
  }
  const char *stats = nullptr;
  check(qeff_result_stats_json(r, &stats));
  json_add(doc.get(), "stats", json_parse(stats).release());
  return doc;
}

// QEfficient-style performance lines.
void print_perf(const qeff_result *r) {
  std::printf("\n=============== Performance ===============\n");
  std::printf("TTFT: %.2f ms\n", stat(r, "ttft_ms"));
  std::printf("Prefill: %.1f tokens/s (%.0f prompt tokens in %.2f ms)\n", stat(r, "prefill_tokens_per_s"),
              stat(r, "prompt_tokens"), stat(r, "prefill_ms"));
  std::printf("Decode: %.1f tokens/s (%.0f generated tokens in %.2f ms)\n", stat(r, "decode_tokens_per_s"),
              stat(r, "generated_tokens"), stat(r, "decode_ms"));
  std::printf("Total: %.2f ms\n", stat(r, "total_ms"));
}

void print_texts(const qeff_result *r, const Inputs &in) {
  size_t rows = 0;
  check(qeff_result_num_rows(r, &rows));
  for (size_t i = 0; i < rows; ++i) {
    const char *text = nullptr;
    size_t length = 0, prompt = 0, count = 0;
    const int32_t *tok = nullptr;
    qeff_finish_reason why = QEFF_FINISH_NONE;
    check(qeff_result_text(r, i, &text, &length));
    check(qeff_result_tokens(r, i, &tok, &count));
    check(qeff_result_num_tokens(r, i, &prompt));
    check(qeff_result_finish_reason(r, i, &why));
    if (rows > 1) std::printf("%s[%zu] ", i ? "\n" : "", i);
    if (i < in.texts.size()) std::printf("Prompt: %s\n", in.texts[i].c_str());
    std::printf("Completion: ");
    std::fwrite(text, 1, length, stdout);
    std::printf("\n(%zu prompt tokens, %zu generated, finish: %s)\n", prompt, count, finish_name(why));
  }
}

// --stream: text on stdout as it is produced (pull iterator); with --json one
// JSON line per event. Returns the final result.
Result stream(const qeff_program *program, const qeff_request *request, const qeff_options *options, bool json,
              size_t rows) {
  qeff_stream *raw = nullptr;
  check(qeff_stream_create(program, request, options, &raw));
  Stream s(raw);
  for (;;) {
    qeff_stream_event e{};
    check(qeff_stream_next(s.get(), &e));
    if (!e.has_event) break;
    if (json) {
      Json ev = json_object();
      json_add(ev.get(), "row", static_cast<double>(e.row));
      json_add(ev.get(), "token", static_cast<double>(e.token));
      json_add(ev.get(), "text", std::string_view(e.text, e.length));
      json_add_bool(ev.get(), "finished", e.row_finished != 0);
      json_print(ev.get());
    } else if (rows == 1) {
      std::fwrite(e.text, 1, e.length, stdout);
      if (e.row_finished) std::fputc('\n', stdout);
      std::fflush(stdout);
    } else if (e.length > 0 || e.row_finished) {
      std::printf("[%zu] ", e.row);
      std::fwrite(e.text, 1, e.length, stdout);
      std::printf("%s\n", e.row_finished ? " <end>" : "");
      std::fflush(stdout);
    }
  }
  qeff_result *out = nullptr;
  check(qeff_stream_result(s.get(), &out));
  return Result(out);
}

Spec infer_spec() {
  Spec s("infer",
         "qeff infer --model DIR (--prompt TEXT ... | --prompts-file FILE | --input-ids 1,2,3 ...) "
         "[--max-new-tokens N] [options]",
         "Generate text with a causal LM: load the model directory, compile it (cached), and\n"
         "decode greedily unless sampling flags are given.");
  s.section("Model").value("--model", "DIR", "HuggingFace model directory (config.json + safetensors)");
  add_lm_run_flags(s);
  add_lm_compile_flags(s);
  add_runtime_flags(s);
  add_cache_flags(s);
  add_common_flags(s);
  s.epilog(
      "Examples:\n"
      "  qeff infer --model tests/fixtures/models/llama-tiny --prompt 'Hello world!' --max-new-tokens 16\n"
      "  qeff infer --model DIR --prompts-file prompts.txt --max-new-tokens 64 --batch-size 4 --json\n"
      "  qeff infer --model DIR --prompt 'Once' --do-sample --temperature 0.8 --seed 7 --stream");
  return s;
}

int infer_run(const Args &a) {
  a.require("--model");
  const std::string dir = *a.str("--model");
  const Inputs in = lm_inputs(a);
  Options options = make_options(a, true);
  Model model = load_model(dir, options.get());
  qeff_task task = QEFF_TASK_UNKNOWN;
  check(qeff_model_task(model.get(), &task));
  require_task(qeff_task_name(task), {"causal-lm"}, dir, "qeff embed runs encoders");
  Program program = compile_model(model.get(), options.get());
  model.reset();  // the program keeps what it needs
  return run_lm(program.get(), in, a, options.get());
}

}  // namespace

void add_lm_run_flags(Spec &s) {
  s.section("Input")
      .values("--prompt", "TEXT", "a prompt (repeat for a batch)")
      .value("--prompts-file", "FILE", "prompts, one per line ('-': stdin)")
      .values("--input-ids", "1,2,3", "a prompt as token ids (repeat for a batch)");
  add_generate_flags(s);
  s.section("Output")
      .flag("--json", "print one JSON object: generated_ids, generated_texts, finish_reasons, prompt_tokens, stats")
      .flag("--stream", "print the text as it is produced (with --json: one JSON line per event, then the result)")
      .flag("--no-stats", "leave out the performance lines (text output)");
}

Inputs lm_inputs(const Args &a) { return gather_inputs(a, "--prompt", "--prompts-file", false); }

int run_lm(const qeff_program *program, const Inputs &in, const Args &a, const qeff_options *options) {
  Request request = in.request(0, in.rows());
  const bool json = a.has("--json");
  Result result;
  if (a.has("--stream")) {
    result = stream(program, request.get(), options, json, in.rows());
  } else {
    qeff_result *raw = nullptr;
    check(qeff_generate(program, request.get(), options, &raw));
    result.reset(raw);
  }
  if (json) {
    json_print(result_json(result.get()).get());
    return 0;
  }
  if (!a.has("--stream")) print_texts(result.get(), in);
  if (!a.has("--no-stats")) print_perf(result.get());
  return 0;
}

const Command &infer_command() {
  static const Command c{"infer", "generate text with a causal LM (prompts, ids; greedy or sampled)", infer_spec,
                         infer_run};
  return c;
}

}  // namespace qcli
