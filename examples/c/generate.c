/*
 * qeff-generate: text generation from a HuggingFace causal-LM directory.
 *
 *   qeff-generate MODEL_DIR [--max-new-tokens N] [--sample --seed S] PROMPT [PROMPT ...]
 *
 * Loads the model, compiles it (prefill chunks of 32, context 256, one batch
 * slot per prompt up to 4; cached under QEFF_HOME / ~/.cache/qeff), then
 * streams the generated text of every prompt as it is produced (pull
 * iterator), prints each row's final text and why it ended, and the
 * QEfficient-style performance figures (time to first token, prefill and
 * decode tokens/s).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qeff/qeff.h>

static int fail(const char *what) {
  fprintf(stderr, "qeff-generate: %s: %s: %s\n", what, qeff_status_name(qeff_last_error_code()),
          qeff_last_error_message());
  return 1;
}

static const char *reason(qeff_finish_reason r) {
  switch (r) {
    case QEFF_FINISH_EOS: return "end of sequence";
    case QEFF_FINISH_LENGTH: return "max new tokens";
    case QEFF_FINISH_STOP: return "stop string";
    case QEFF_FINISH_CONTEXT: return "context full";
    case QEFF_FINISH_CANCELLED: return "cancelled";
    default: return "open";
  }
}

int main(int argc, char **argv) {
  int rc = 1, first = 2, sample = 0;
  long max_new = 24, seed = 0;
  qeff_model *model = NULL;
  qeff_options *options = NULL;
  qeff_program *program = NULL;
  qeff_request *request = NULL;
  qeff_stream *stream = NULL;
  qeff_result *result = NULL;
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL_DIR [--max-new-tokens N] [--sample --seed S] PROMPT [PROMPT ...]\n", argv[0]);
    return 2;
  }
  for (; first < argc && strncmp(argv[first], "--", 2) == 0; ++first) {
    if (strcmp(argv[first], "--max-new-tokens") == 0 && first + 1 < argc) max_new = atol(argv[++first]);
    else if (strcmp(argv[first], "--seed") == 0 && first + 1 < argc) seed = atol(argv[++first]);
    else if (strcmp(argv[first], "--sample") == 0) sample = 1;
    else {
      fprintf(stderr, "qeff-generate: unknown flag %s\n", argv[first]);
      return 2;
    }
  }
  const int rows = argc - first;
  if (rows < 1 || max_new < 1) {
    fprintf(stderr, "qeff-generate: give at least one prompt and --max-new-tokens >= 1\n");
    return 2;
  }
  if (qeff_model_load(argv[1], NULL, &model) != QEFF_OK) {
    rc = fail("load");
    goto done;
  }
  if (qeff_options_create(&options) != QEFF_OK || qeff_options_set_int(options, "compile.prefill_seq_len", 32) ||
      qeff_options_set_int(options, "compile.ctx_len", 256) ||
      qeff_options_set_int(options, "compile.batch_size", rows < 4 ? rows : 4) ||
      qeff_options_set_int(options, "generate.max_new_tokens", max_new) ||
      qeff_options_set_bool(options, "generate.do_sample", sample) ||
      qeff_options_set_int(options, "generate.seed", seed)) {
    rc = fail("options");
    goto done;
  }
  if (qeff_compile(model, options, &program) != QEFF_OK) {
    rc = fail("compile");
    goto done;
  }
  if (qeff_request_create(&request) != QEFF_OK) {
    rc = fail("request");
    goto done;
  }
  for (int i = first; i < argc; ++i)
    if (qeff_request_add_text(request, argv[i], strlen(argv[i])) != QEFF_OK) {
      rc = fail("prompt");
      goto done;
    }
  if (qeff_stream_create(program, request, options, &stream) != QEFF_OK) {
    rc = fail("generate");
    goto done;
  }
  printf("streaming (row: text as it arrives):\n");
  for (;;) {
    qeff_stream_event e;
    if (qeff_stream_next(stream, &e) != QEFF_OK) {
      rc = fail("generate");
      goto done;
    }
    if (!e.has_event) break;
    if (e.length > 0) printf("[%zu] %.*s\n", e.row, (int)e.length, e.text);
  }
  if (qeff_stream_result(stream, &result) != QEFF_OK) {
    rc = fail("result");
    goto done;
  }
  for (int i = 0; i < rows; ++i) {
    const char *text = NULL;
    size_t length = 0, prompt = 0, count = 0;
    const int32_t *ids = NULL;
    qeff_finish_reason why = QEFF_FINISH_NONE;
    qeff_result_text(result, (size_t)i, &text, &length);
    qeff_result_tokens(result, (size_t)i, &ids, &count);
    qeff_result_num_tokens(result, (size_t)i, &prompt);
    qeff_result_finish_reason(result, (size_t)i, &why);
    printf("\n[%d] %s\n    -> %s\n    (%zu prompt tokens, %zu generated, ended: %s)\n", i, argv[first + i], text,
           prompt, count, reason(why));
  }
  double ttft = 0, prefill = 0, decode = 0, total = 0;
  qeff_result_stat(result, "ttft_ms", &ttft);
  qeff_result_stat(result, "prefill_tokens_per_s", &prefill);
  qeff_result_stat(result, "decode_tokens_per_s", &decode);
  qeff_result_stat(result, "total_ms", &total);
  printf("\ntime to first token %.2f ms | prefill %.1f tokens/s | decode %.1f tokens/s | total %.2f ms\n", ttft,
         prefill, decode, total);
  rc = 0;
done:
  qeff_result_free(result);
  qeff_stream_free(stream);
  qeff_request_free(request);
  qeff_program_free(program);
  qeff_options_free(options);
  qeff_model_free(model);
  return rc;
}
