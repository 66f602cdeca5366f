/*
 * The conformance scenario (tests/conformance/SCENARIO.md) in C, against the
 * public header only. The bindings implement the same steps in their
 * languages. Usage: conformance VECTORS_JSON FIXTURE_MODELS_DIR
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "c_check.h"
#include "qeff/qeff.h"


static const char *models_dir;

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  char *data = NULL;
  long size;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
    data = malloc((size_t)size + 1);
    if (data && fread(data, 1, (size_t)size, f) == (size_t)size) {
      data[size] = '\0';
    } else {
      free(data);
      data = NULL;
    }
  }
  fclose(f);
  return data;
}

static const cJSON *at(const cJSON *obj, const char *key) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!item) {
    fprintf(stderr, "vectors.json: missing \"%s\"\n", key);
    exit(2);
  }
  return item;
}

static const char *str_at(const cJSON *obj, const char *key) {
  const cJSON *item = at(obj, key);
  if (!cJSON_IsString(item)) {
    fprintf(stderr, "vectors.json: \"%s\" is not a string\n", key);
    exit(2);
  }
  return item->valuestring;
}

static int int_at(const cJSON *obj, const char *key) { return (int)at(obj, key)->valuedouble; }

static qeff_model *load_model(const char *name) {
  char path[4096];
  qeff_model *model = NULL;
  snprintf(path, sizeof path, "%s/%s", models_dir, name);
  CHECK_OK(qeff_model_load(path, NULL, &model));
  return model;
}

/* The compile options of a vectors.json "compile" object. */
static qeff_options *compile_options(const cJSON *compile) {
  qeff_options *options = NULL;
  const cJSON *item;
  char key[128];
  CHECK_OK(qeff_options_create(&options));
  cJSON_ArrayForEach(item, compile) {
    snprintf(key, sizeof key, "compile.%s", item->string);
    if (cJSON_IsArray(item)) {
      int64_t values[16];
      size_t n = 0;
      const cJSON *v;
      cJSON_ArrayForEach(v, item) if (n < 16) values[n++] = (int64_t)v->valuedouble;
      CHECK_OK(qeff_options_set_int_list(options, key, values, n));
    } else {
      CHECK_OK(qeff_options_set_int(options, key, (int64_t)item->valuedouble));
    }
  }
  return options;
}

static qeff_program *compile_with(const qeff_model *model, const cJSON *compile) {
  qeff_options *options = compile_options(compile);
  qeff_program *program = NULL;
  CHECK_OK(qeff_compile(model, options, &program));
  qeff_options_free(options);
  return program;
}

static qeff_request *text_request(const char *text) {
  qeff_request *request = NULL;
  CHECK_OK(qeff_request_create(&request));
  CHECK_OK(qeff_request_add_text(request, text, strlen(text)));
  return request;
}

static qeff_options *generate_options(int max_new_tokens) {
  qeff_options *options = NULL;
  CHECK_OK(qeff_options_create(&options));
  CHECK_OK(qeff_options_set_int(options, "generate.max_new_tokens", max_new_tokens));
  return options;
}

static int ids_equal(const int32_t *ids, size_t count, const cJSON *expected) {
  size_t i = 0;
  const cJSON *v;
  if ((size_t)cJSON_GetArraySize(expected) != count) return 0;
  cJSON_ArrayForEach(v, expected) if (ids[i++] != (int32_t)v->valuedouble) return 0;
  return 1;
}

/* Step 3: embed a batch and compare with the reference. */
static void embed_batch(const qeff_program *program, const cJSON *encoder) {
  const cJSON *texts = at(encoder, "texts"), *expected = at(encoder, "embeddings"), *t;
  double atol = at(encoder, "atol")->valuedouble, worst = 0.0;
  qeff_request *request = NULL;
  qeff_result *result = NULL;
  const float *data = NULL;
  size_t rows = 0, dim = 0, r = 0;
  CHECK_OK(qeff_request_create(&request));
  cJSON_ArrayForEach(t, texts) CHECK_OK(qeff_request_add_text(request, t->valuestring, strlen(t->valuestring)));
  CHECK_OK(qeff_generate(program, request, NULL, &result));
  CHECK_OK(qeff_result_embeddings(result, &data, &rows, &dim));
  CHECK(rows == (size_t)cJSON_GetArraySize(expected));
  if (data && rows == (size_t)cJSON_GetArraySize(expected)) {
    const cJSON *row;
    cJSON_ArrayForEach(row, expected) {
      size_t j = 0;
      const cJSON *v;
      CHECK((size_t)cJSON_GetArraySize(row) == dim);
      cJSON_ArrayForEach(v, row) {
        double d = j < dim ? fabs(data[r * dim + j] - v->valuedouble) : 1.0;
        if (d > worst) worst = d;
        ++j;
      }
      ++r;
    }
  }
  printf("embed: %zu x %zu, max |diff| %.3g (atol %.0e)\n", rows, dim, worst, atol);
  CHECK(worst <= atol);
  qeff_result_free(result);
  qeff_request_free(request);
}

/* Step 4: greedy generation equals the reference tokens. Returns the text
 * (malloc'd; it may hold NUL bytes: its length goes to *text_length). */
static char *generate_greedy(const qeff_program *program, const cJSON *lm, size_t *text_length) {
  qeff_request *request = text_request(str_at(lm, "prompt"));
  qeff_options *options = generate_options(int_at(lm, "max_new_tokens"));
  qeff_result *result = NULL;
  const int32_t *ids = NULL;
  const char *text = NULL;
  size_t count = 0, length = 0, prompt_tokens = 0;
  qeff_finish_reason reason = QEFF_FINISH_NONE;
  double ttft = 0.0;
  char *copy = NULL;
  CHECK_OK(qeff_generate(program, request, options, &result));
  CHECK_OK(qeff_result_tokens(result, 0, &ids, &count));
  CHECK(ids && ids_equal(ids, count, at(lm, "new_token_ids")));
  CHECK_OK(qeff_result_finish_reason(result, 0, &reason));
  CHECK(reason == QEFF_FINISH_LENGTH);
  CHECK_OK(qeff_result_num_tokens(result, 0, &prompt_tokens));
  CHECK(prompt_tokens == (size_t)cJSON_GetArraySize(at(lm, "prompt_ids")));
  CHECK_OK(qeff_result_stat(result, "ttft_ms", &ttft));
  CHECK(ttft > 0.0);
  CHECK_OK(qeff_result_text(result, 0, &text, &length));
  if (text) {
    copy = malloc(length + 1);
    memcpy(copy, text, length + 1);
    if (text_length) *text_length = length;
  }
  printf("generate: %zu tokens, ttft %.2f ms\n", count, ttft);
  qeff_result_free(result);
  qeff_options_free(options);
  qeff_request_free(request);
  return copy;
}

/* Step 5: the streamed pieces concatenate to the text of step 4. */
static void stream_concatenation(const qeff_program *program, const cJSON *lm, const char *text,
                                 size_t text_length) {
  qeff_request *request = text_request(str_at(lm, "prompt"));
  qeff_options *options = generate_options(int_at(lm, "max_new_tokens"));
  qeff_stream *stream = NULL;
  qeff_stream_event event;
  char joined[8192];
  int32_t tokens[256];
  size_t used = 0, n_tokens = 0;
  int last_finished = 0;
  CHECK_OK(qeff_stream_create(program, request, options, &stream));
  qeff_request_free(request);
  while (qeff_stream_next(stream, &event) == QEFF_OK && event.has_event) {
    CHECK(event.row == 0);
    if (event.token >= 0 && n_tokens < 256) tokens[n_tokens++] = event.token;
    if (used + event.length < sizeof joined) {
      memcpy(joined + used, event.text, event.length);
      used += event.length;
    }
    last_finished = event.row_finished;
  }
  joined[used] = '\0';
  CHECK(last_finished == 1);
  CHECK(ids_equal(tokens, n_tokens, at(lm, "new_token_ids")));
  CHECK(text && text_length == used && memcmp(text, joined, used) == 0);
  qeff_stream_free(stream);
  qeff_options_free(options);
}

static void expect_error(qeff_status status, const cJSON *error) {
  CHECK(status == (qeff_status)int_at(error, "code"));
  CHECK(strcmp(qeff_status_name(status), str_at(error, "status")) == 0);
  CHECK(strstr(qeff_last_error_message(), str_at(error, "message_contains")) != NULL);
}

/* Step 6: each class of error, then the handles still work. */
static void errors(const qeff_model *lm_model, const qeff_program *lm_program, const cJSON *vectors) {
  const cJSON *errs = at(vectors, "errors"), *lm = at(vectors, "lm");
  const cJSON *missing = at(errs, "missing_dir"), *bad = at(errs, "bad_option"),
              *too_long = at(errs, "too_long_prompt");
  char path[4096];
  qeff_model *model = NULL;
  qeff_options *options = NULL;
  qeff_program *program = NULL;
  qeff_request *request;
  qeff_result *result = NULL;
  char *again;

  snprintf(path, sizeof path, "%s/%s", models_dir, str_at(missing, "model"));
  expect_error(qeff_model_load(path, NULL, &model), missing);
  CHECK(model == NULL);

  CHECK_OK(qeff_options_create(&options));
  expect_error(qeff_options_set_int(options, str_at(bad, "key"), int_at(bad, "value")), bad);
  qeff_options_free(options);

  program = compile_with(lm_model, at(too_long, "compile"));
  request = text_request(str_at(too_long, "prompt"));
  expect_error(qeff_generate(program, request, NULL, &result), too_long);
  CHECK(result == NULL);
  qeff_request_free(request);
  qeff_program_free(program);

  again = generate_greedy(lm_program, lm, NULL);
  free(again);
}

/* Step 7: free in any order; what is left keeps working. */
static void free_in_any_order(const cJSON *lm) {
  qeff_model *model = load_model(str_at(lm, "model"));
  qeff_tokenizer *tokenizer = NULL;
  qeff_program *program = NULL;
  qeff_request *request;
  qeff_options *options = generate_options(4);
  qeff_result *result = NULL;
  qeff_stream *stream = NULL;
  qeff_stream_event event;
  qeff_encoding *encoding = NULL;
  size_t rows = 0;
  int events = 0;
  CHECK_OK(qeff_model_tokenizer(model, &tokenizer));
  program = compile_with(model, at(lm, "compile"));
  request = text_request(str_at(lm, "prompt"));
  CHECK_OK(qeff_generate(program, request, options, &result));
  CHECK_OK(qeff_stream_create(program, request, options, &stream));
  CHECK_OK(qeff_stream_next(stream, &event));
  CHECK(event.has_event);

  qeff_model_free(model);
  qeff_program_free(program);
  qeff_request_free(request);
  qeff_options_free(options);
  CHECK_OK(qeff_tokenizer_encode(tokenizer, "still here", 10, NULL, &encoding));
  CHECK_OK(qeff_encoding_num_rows(encoding, &rows));
  CHECK(rows == 1);
  qeff_encoding_free(encoding);
  qeff_tokenizer_free(tokenizer);
  while (qeff_stream_next(stream, &event) == QEFF_OK && event.has_event) ++events;
  CHECK(events >= 3);
  qeff_stream_free(stream);
  CHECK_OK(qeff_result_num_rows(result, &rows));
  CHECK(rows == 1);
  qeff_result_free(result);
  /* Freeing NULL is harmless (C has no "closed" handle; the bindings test double close). */
  qeff_model_free(NULL);
  qeff_program_free(NULL);
  qeff_stream_free(NULL);
  qeff_result_free(NULL);
}

/* Step 8: UTF-8 round trip through the tokenizer, emoji and NUL included.
 * cJSON ends strings at \u0000, so the bytes come from "text_utf8_hex". */
static void utf8_round_trip(const cJSON *utf8) {
  const char *hex = str_at(utf8, "text_utf8_hex");
  qeff_model *model = load_model(str_at(utf8, "model"));
  qeff_tokenizer *tokenizer = NULL;
  qeff_encoding *encoding = NULL;
  const int32_t *ids = NULL;
  size_t count = 0, length = 0, n = 0;
  char *decoded = NULL;
  char text[512];
  unsigned byte;
  while (hex[2 * n] && n < sizeof text && sscanf(hex + 2 * n, "%2x", &byte) == 1) text[n++] = (char)byte;
  CHECK(memchr(text, '\0', n) != NULL);
  CHECK(strncmp(text, str_at(utf8, "text"), strlen(str_at(utf8, "text"))) == 0);
  CHECK_OK(qeff_model_tokenizer(model, &tokenizer));
  CHECK_OK(qeff_tokenizer_encode(tokenizer, text, n, NULL, &encoding));
  CHECK_OK(qeff_encoding_row(encoding, 0, &ids, NULL, &count));
  CHECK_OK(qeff_tokenizer_decode(tokenizer, ids, count, 1, &decoded, &length));
  CHECK(decoded && length == n && memcmp(decoded, text, n) == 0);
  printf("utf8: %zu bytes round trip\n", n);
  qeff_string_free(decoded);
  qeff_encoding_free(encoding);
  qeff_tokenizer_free(tokenizer);
  qeff_model_free(model);
}

int main(int argc, char **argv) {
  char *json;
  cJSON *vectors;
  const cJSON *encoder, *lm;
  qeff_model *encoder_model, *lm_model;
  qeff_program *encoder_program, *lm_program;
  qeff_task task = QEFF_TASK_UNKNOWN;
  char *text;
  size_t text_length = 0;
  if (argc != 3) {
    fprintf(stderr, "usage: %s VECTORS_JSON FIXTURE_MODELS_DIR\n", argv[0]);
    return 2;
  }
  models_dir = argv[2];
  json = read_file(argv[1]);
  vectors = json ? cJSON_Parse(json) : NULL;
  if (!vectors) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 2;
  }
  encoder = at(vectors, "encoder");
  lm = at(vectors, "lm");

  /* 1. load */
  encoder_model = load_model(str_at(encoder, "model"));
  lm_model = load_model(str_at(lm, "model"));
  CHECK_OK(qeff_model_task(encoder_model, &task));
  CHECK(task == QEFF_TASK_EMBEDDING);
  CHECK_OK(qeff_model_task(lm_model, &task));
  CHECK(task == QEFF_TASK_CAUSAL_LM);
  /* 2. compile */
  encoder_program = compile_with(encoder_model, at(encoder, "compile"));
  lm_program = compile_with(lm_model, at(lm, "compile"));
  /* 3-5 */
  embed_batch(encoder_program, encoder);
  text = generate_greedy(lm_program, lm, &text_length);
  stream_concatenation(lm_program, lm, text, text_length);
  free(text);
  /* 6-8 */
  errors(lm_model, lm_program, vectors);
  free_in_any_order(lm);
  utf8_round_trip(at(vectors, "utf8"));

  qeff_program_free(lm_program);
  qeff_program_free(encoder_program);
  qeff_model_free(lm_model);
  qeff_model_free(encoder_model);
  cJSON_Delete(vectors);
  free(json);
  if (failures) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("conformance: all steps passed\n");
  return 0;
}
