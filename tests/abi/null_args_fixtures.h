/*
 * Fixtures and checks for the generated NULL-argument test (gen_null_tests.py
 * writes test_null_args.c, which includes this file). Every handle type of
 * qeff.h has a live instance here, built from the test fixtures the way
 * tests/api/test_c_api.c builds them, so that each generated call has valid
 * values everywhere except the one parameter it sets to NULL.
 *
 * Usage: null_args_test FIXTURE_MODELS_DIR GOLDEN_DIR WORK_DIR
 */
#ifndef QEFF_TESTS_NULL_ARGS_FIXTURES_H
#define QEFF_TESTS_NULL_ARGS_FIXTURES_H

#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "c_check.h"
#include "qeff/qeff.h"

/* Out pointers start as this address: a failing call must replace it by NULL. */
static char sentinel_object;
#define SENTINEL ((void *)&sentinel_object)

static int cases_ok = 0, cases_null = 0, cases_null_ok = 0, cases_free = 0;

struct handles {
  char work_dir[4096], llama_dir[4200], gemm_onnx[4200], package_dir[4200];
  qeff_options *options;         /* const uses: small compile sizes, no cache */
  qeff_options *scratch_options; /* the setters' target */
  qeff_options *encoder_options, *kv_options;
  qeff_cancel *cancel;
  qeff_model *model;             /* llama-tiny */
  qeff_program *lm_program, *embed_program, *token_program, *rerank_program, *kv_program;
  qeff_request *request;         /* one text row: generate's input */
  qeff_request *text_request, *token_request, *pair_request;
  qeff_result *lm_result, *embed_result, *token_result, *rerank_result;
  qeff_tokenizer *tokenizer;
  qeff_encoding *encoding;
  qeff_decoder *decoder;
  qeff_tensors *tensors;         /* the kv_step inputs */
  qeff_session *session, *state_session;
  qeff_stream *stream, *cancel_stream, *ended_stream;
  /* Arrays for the array parameters. */
  int32_t ids[2];
  int64_t int_values[2];
  const char *texts[2];
  size_t lengths[2];
  int64_t pos, pos_shape[2], upd_shape[4], ctx_shape[2], ctx[2];
  float upd[8];
};

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

/* WORK_DIR/null-args, emptied: everything the test writes goes below it. */
static void make_work_dir(struct handles *h, const char *parent) {
  snprintf(h->work_dir, sizeof h->work_dir, "%s/null-args", parent);
  (void)nftw(h->work_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  CHECK(mkdir(h->work_dir, 0700) == 0);
}

/* A new directory path per call (exports and packages are refused over
 * existing ones unless overwriting); the strings stay valid for a while. */
static const char *fresh_dir(struct handles *h, const char *tag) {
  static char paths[8][4300];
  static unsigned counter = 0;
  char *p = paths[counter % 8];
  snprintf(p, sizeof paths[0], "%s/%s-%u", h->work_dir, tag, counter);
  ++counter;
  return p;
}

static int stream_cb(size_t row, int32_t token, const char *text, size_t length, int row_finished,
                     void *payload) {
  (void)row, (void)token, (void)text, (void)length, (void)row_finished, (void)payload;
  return 0;
}

static void log_cb(qeff_log_level level, const char *message, void *payload) {
  (void)level, (void)message, (void)payload;
}

static void expect_ok(const char *fn, const char *what, qeff_status st) {
  ++cases_ok;
  if (st != QEFF_OK) {
    fprintf(stderr, "%s (%s): expected QEFF_OK, got %s: %s\n", fn, what, qeff_status_name(st),
            qeff_last_error_message());
    ++failures;
  }
}

/* A NULL where the header does not allow one: `want` (INVALID_HANDLE for a
 * handle, INVALID_ARGUMENT otherwise), the thread's last error set to it with
 * a message naming the function. */
static void expect_null_failure(const char *fn, const char *param, qeff_status st, qeff_status want) {
  const char *msg = qeff_last_error_message();
  ++cases_null;
  if (st != want || qeff_last_error_code() != st || msg == NULL || strstr(msg, fn) == NULL) {
    fprintf(stderr, "%s(%s = NULL): expected %s with a message naming the function, got %s "
                    "(last error %s: \"%s\")\n",
            fn, param, qeff_status_name(want), qeff_status_name(st), qeff_status_name(qeff_last_error_code()),
            msg ? msg : "(null)");
    ++failures;
  }
}

/* A pointer-to-pointer out parameter of a failed call must be NULL. */
static void expect_null_out(const char *fn, const char *param, const char *out, const void *value) {
  if (value != NULL) {
    fprintf(stderr, "%s(%s = NULL) failed but left out parameter %s set\n", fn, param, out);
    ++failures;
  }
}

/* Freeing NULL is a no-op: not even the thread's last error changes. */
static void arm_last_error(void) {
  (void)qeff_options_create(NULL);
}
static void expect_last_error_kept(const char *fn) {
  ++cases_free;
  if (qeff_last_error_code() != QEFF_E_INVALID_ARGUMENT ||
      strstr(qeff_last_error_message(), "qeff_options_create") == NULL) {
    fprintf(stderr, "%s(NULL) changed the thread's last error\n", fn);
    ++failures;
  }
}

static void build_encoders(struct handles *h, const char *models) {
  char path[4200];
  qeff_model *m = NULL;
  qeff_options *none = NULL;
  static const int64_t lens[1] = {32};
  CHECK_OK(qeff_options_create(&h->encoder_options));
  CHECK_OK(qeff_options_set_bool(h->encoder_options, "cache.enabled", 0));
  CHECK_OK(qeff_options_set_int_list(h->encoder_options, "compile.seq_len", lens, 1));
  snprintf(path, sizeof path, "%s/bert-tiny", models);
  CHECK_OK(qeff_model_load(path, NULL, &m));
  CHECK_OK(qeff_compile(m, h->encoder_options, &h->embed_program));
  CHECK_OK(qeff_options_create(&none));
  CHECK_OK(qeff_options_set_bool(none, "cache.enabled", 0));
  CHECK_OK(qeff_options_set_int_list(none, "compile.seq_len", lens, 1));
  CHECK_OK(qeff_options_set(none, "model.pooling", "none"));
  CHECK_OK(qeff_compile(m, none, &h->token_program));
  qeff_options_free(none);
  qeff_model_free(m);
  m = NULL;
  snprintf(path, sizeof path, "%s/bert-reranker-tiny", models);
  CHECK_OK(qeff_model_load(path, NULL, &m));
  CHECK_OK(qeff_compile(m, h->encoder_options, &h->rerank_program));
  qeff_model_free(m);
  CHECK_OK(qeff_request_create(&h->pair_request));
  CHECK_OK(qeff_request_add_text_pair(h->pair_request, "what is a fox", 13, "a fox is an animal", 18));
  CHECK_OK(qeff_generate(h->embed_program, h->request, NULL, &h->embed_result));
  CHECK_OK(qeff_generate(h->token_program, h->request, NULL, &h->token_result));
  CHECK_OK(qeff_generate(h->rerank_program, h->pair_request, NULL, &h->rerank_result));
}

/* The golden kv_step graph: a session with inputs, one that has run (state). */
static void build_sessions(struct handles *h, const char *golden) {
  char onnx[4200];
  qeff_tensors *outputs = NULL;
  snprintf(onnx, sizeof onnx, "%s/kv_step/model.onnx", golden);
  snprintf(h->gemm_onnx, sizeof h->gemm_onnx, "%s/gemm_gelu/model.onnx", golden);
  CHECK_OK(qeff_options_create(&h->kv_options));
  CHECK_OK(qeff_options_set(h->kv_options, "compile.specializations",
                            "[{\"name\": \"step\", \"symbols\": {\"batch\": 1, \"seq\": 1, \"n\": 2}}]"));
  CHECK_OK(qeff_options_set(h->kv_options, "runtime.threads", "2"));
  CHECK_OK(qeff_compile_onnx(onnx, h->kv_options, &h->kv_program));
  h->pos = 3;
  h->pos_shape[0] = 1, h->pos_shape[1] = 1;
  h->upd_shape[0] = 1, h->upd_shape[1] = 2, h->upd_shape[2] = 1, h->upd_shape[3] = 4;
  h->ctx_shape[0] = 1, h->ctx_shape[1] = 2;
  h->ctx[0] = 3, h->ctx[1] = 0;
  for (int i = 0; i < 8; ++i) h->upd[i] = (float)i;
  CHECK_OK(qeff_tensors_create(&h->tensors));
  CHECK_OK(qeff_tensors_set(h->tensors, "position", QEFF_DTYPE_I64, h->pos_shape, 2, &h->pos, sizeof h->pos));
  CHECK_OK(qeff_tensors_set(h->tensors, "update", QEFF_DTYPE_F32, h->upd_shape, 4, h->upd, sizeof h->upd));
  CHECK_OK(qeff_tensors_set(h->tensors, "ctx", QEFF_DTYPE_I64, h->ctx_shape, 2, h->ctx, sizeof h->ctx));
  CHECK_OK(qeff_session_create(h->kv_program, h->kv_options, &h->session));
  CHECK_OK(qeff_session_create(h->kv_program, h->kv_options, &h->state_session));
  CHECK_OK(qeff_session_run(h->state_session, h->tensors, &outputs));
  qeff_tensors_free(outputs);
}

static void build_streams(struct handles *h) {
  qeff_stream_event e;
  int guard = 0;
  CHECK_OK(qeff_stream_create(h->lm_program, h->request, h->options, &h->stream));
  CHECK_OK(qeff_stream_create(h->lm_program, h->request, h->options, &h->cancel_stream));
  CHECK_OK(qeff_stream_create(h->lm_program, h->request, h->options, &h->ended_stream));
  do {
    CHECK_OK(qeff_stream_next(h->ended_stream, &e));
  } while (e.has_event && ++guard < 1000);
}

static int handles_build(struct handles *h, int argc, char **argv) {
  memset(h, 0, sizeof *h);
  if (argc < 4) {
    fprintf(stderr, "usage: %s FIXTURE_MODELS_DIR GOLDEN_DIR WORK_DIR\n", argv[0]);
    return 0;
  }
  snprintf(h->llama_dir, sizeof h->llama_dir, "%s/llama-tiny", argv[1]);
  make_work_dir(h, argv[3]);
  h->ids[0] = 1, h->ids[1] = 2;
  h->int_values[0] = 16, h->int_values[1] = 32;
  h->texts[0] = "hello world", h->texts[1] = "hi";
  h->lengths[0] = 11, h->lengths[1] = 2;

  CHECK_OK(qeff_options_create(&h->options));
  CHECK_OK(qeff_options_set_bool(h->options, "cache.enabled", 0));
  CHECK_OK(qeff_options_set_int(h->options, "compile.prefill_seq_len", 4));
  CHECK_OK(qeff_options_set_int(h->options, "compile.ctx_len", 32));
  CHECK_OK(qeff_options_set_int(h->options, "generate.max_new_tokens", 3));
  CHECK_OK(qeff_options_set_bool(h->options, "export.overwrite", 1));
  CHECK_OK(qeff_options_set_bool(h->options, "package.overwrite", 1));
  CHECK_OK(qeff_options_create(&h->scratch_options));
  CHECK_OK(qeff_cancel_create(&h->cancel));
  CHECK_OK(qeff_model_load(h->llama_dir, NULL, &h->model));
  CHECK_OK(qeff_compile(h->model, h->options, &h->lm_program));
  CHECK_OK(qeff_request_create(&h->request));
  CHECK_OK(qeff_request_add_text(h->request, "Once upon a time", 16));
  CHECK_OK(qeff_request_create(&h->text_request));
  CHECK_OK(qeff_request_create(&h->token_request));
  CHECK_OK(qeff_generate(h->lm_program, h->request, h->options, &h->lm_result));
  snprintf(h->package_dir, sizeof h->package_dir, "%s/package", h->work_dir);
  CHECK_OK(qeff_program_save(h->lm_program, h->package_dir, h->options));
  CHECK_OK(qeff_model_tokenizer(h->model, &h->tokenizer));
  CHECK_OK(qeff_tokenizer_encode(h->tokenizer, "hello world", 11, NULL, &h->encoding));
  CHECK_OK(qeff_decoder_create(h->tokenizer, 1, &h->decoder));
  build_encoders(h, argv[1]);
  build_sessions(h, argv[2]);
  build_streams(h);
  return failures == 0;
}

static void handles_free(struct handles *h) {
  qeff_stream_free(h->ended_stream);
  qeff_stream_free(h->cancel_stream);
  qeff_stream_free(h->stream);
  qeff_session_free(h->state_session);
  qeff_session_free(h->session);
  qeff_tensors_free(h->tensors);
  qeff_decoder_free(h->decoder);
  qeff_encoding_free(h->encoding);
  qeff_tokenizer_free(h->tokenizer);
  qeff_result_free(h->rerank_result);
  qeff_result_free(h->token_result);
  qeff_result_free(h->embed_result);
  qeff_result_free(h->lm_result);
  qeff_request_free(h->pair_request);
  qeff_request_free(h->token_request);
  qeff_request_free(h->text_request);
  qeff_request_free(h->request);
  qeff_program_free(h->kv_program);
  qeff_program_free(h->rerank_program);
  qeff_program_free(h->token_program);
  qeff_program_free(h->embed_program);
  qeff_program_free(h->lm_program);
  qeff_model_free(h->model);
  qeff_cancel_free(h->cancel);
  qeff_options_free(h->kv_options);
  qeff_options_free(h->encoder_options);
  qeff_options_free(h->scratch_options);
  qeff_options_free(h->options);
  (void)qeff_set_log_callback(NULL, QEFF_LOG_ERROR, NULL);
}

#endif
