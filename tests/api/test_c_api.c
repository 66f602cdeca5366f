/*
 * Every public function of include/qeff/qeff.h, called from C.
 * Usage: c_api_test FIXTURE_MODEL_DIR GOLDEN_DIR WORK_DIR: a causal LM such as
 * llama-tiny, the directory export_golden wrote, and a writable directory.
 */
#include <stdio.h>
#include <string.h>

#include "c_check.h"
#include "qeff/qeff.h"


static int log_calls = 0;
static void on_log(qeff_log_level level, const char *message, void *payload) {
  (void)level;
  CHECK(message != NULL);
  CHECK(payload == (void *)&log_calls);
  ++log_calls;
}

static void test_version_and_errors(void) {
  CHECK(strcmp(qeff_version(), QEFF_VERSION_STRING) == 0);
  CHECK(qeff_version_number() == QEFF_VERSION_NUMBER);
  CHECK(strcmp(qeff_status_name(QEFF_E_MISMATCH), "QEFF_E_MISMATCH") == 0);
  qeff_clear_error();
  CHECK(qeff_last_error_code() == QEFF_OK);
  CHECK(strcmp(qeff_last_error_message(), "") == 0);
  CHECK(strcmp(qeff_dtype_name(QEFF_DTYPE_F16), "F16") == 0);
  CHECK(strcmp(qeff_task_name(QEFF_TASK_SEQUENCE_CLASSIFICATION), "sequence-classification") == 0);
}

static void test_options(void) {
  qeff_options *o = NULL;
  const char *v = NULL, *name = NULL, *desc = NULL;
  qeff_option_type type;
  int64_t list[3] = {1, 2, 3};
  size_t i, n = qeff_options_key_count();
  CHECK(n > 0);
  CHECK_OK(qeff_options_create(&o));
  CHECK_OK(qeff_options_set_bool(o, "load.check_tensors", 1));
  CHECK_OK(qeff_options_set_int(o, "limits.tensor_rank", 6));
  CHECK_OK(qeff_options_set_string(o, "load.allowed_root", ""));
  CHECK_OK(qeff_options_set(o, "limits.json_depth", "32"));
  CHECK_OK(qeff_options_get(o, "limits.json_depth", &v));
  CHECK(v != NULL && strcmp(v, "32") == 0);
  CHECK_OK(qeff_options_get(o, "limits.tensor_rank", &v));
  CHECK(v != NULL && strcmp(v, "6") == 0);
  /* No FLOAT or INT_LIST key exists yet: the setters still validate the key. */
  CHECK(qeff_options_set_float(o, "limits.json_depth", 1.5) == QEFF_E_INVALID_ARGUMENT);
  CHECK(strstr(qeff_last_error_message(), "limits.json_depth") != NULL);
  CHECK(qeff_options_set_int_list(o, "limits.json_depth", list, 3) == QEFF_E_INVALID_ARGUMENT);
  CHECK(qeff_options_set_int_list(o, "limits.json_depth", NULL, 3) == QEFF_E_INVALID_ARGUMENT);
  for (i = 0; i < n; ++i) {
    CHECK_OK(qeff_options_key_info(i, &name, &type, &desc));
    CHECK(name != NULL && strlen(name) > 0 && desc != NULL);
    CHECK(type >= QEFF_OPTION_BOOL && type <= QEFF_OPTION_INT_LIST);
    CHECK_OK(qeff_options_get(o, name, &v));
    CHECK(v != NULL);
  }
  CHECK(qeff_options_key_info(n, &name, &type, &desc) == QEFF_E_INVALID_ARGUMENT);
  qeff_options_free(o);
  qeff_options_free(NULL);
}

static void test_model(const char *dir) {
  qeff_model *m = NULL;
  qeff_options *o = NULL;
  const char *s = NULL, *tname = NULL;
  qeff_task task;
  qeff_dtype dtype;
  int64_t v = 0, dims[8];
  size_t n = 0, rank = 0, idx = 0;

  CHECK_OK(qeff_set_log_callback(on_log, QEFF_LOG_DEBUG, &log_calls));
  CHECK_OK(qeff_options_create(&o));
  CHECK_OK(qeff_options_set_bool(o, "load.check_tensors", 1));
  CHECK_OK(qeff_model_load(dir, o, &m));
  qeff_options_free(o); /* the model does not keep the options */
  CHECK_OK(qeff_set_log_callback(NULL, QEFF_LOG_ERROR, NULL));
  CHECK(log_calls > 0);
  if (m == NULL) return;

  CHECK_OK(qeff_model_path(m, &s));
  CHECK(s != NULL && s[0] == '/');
  CHECK_OK(qeff_model_architecture(m, &s));
  CHECK(strcmp(s, "LlamaForCausalLM") == 0);
  CHECK_OK(qeff_model_type(m, &s));
  CHECK(strcmp(s, "llama") == 0);
  CHECK_OK(qeff_model_task(m, &task));
  CHECK(task == QEFF_TASK_CAUSAL_LM);
  CHECK_OK(qeff_model_num_layers(m, &v));
  CHECK(v == 2);
  CHECK_OK(qeff_model_hidden_size(m, &v));
  CHECK(v == 64);
  CHECK_OK(qeff_model_vocab_size(m, &v));
  CHECK(v == 512);
  CHECK_OK(qeff_model_num_parameters(m, &v));
  CHECK(v == 139584);
  CHECK_OK(qeff_model_weight_dtype(m, &dtype));
  CHECK(dtype == QEFF_DTYPE_F32);
  CHECK_OK(qeff_model_num_tensors(m, &n));
  CHECK(n == 21);
  CHECK_OK(qeff_model_find_tensor(m, "model.embed_tokens.weight", &idx));
  CHECK_OK(qeff_model_tensor_info(m, idx, &tname, &dtype, &rank, dims, 8));
  CHECK(strcmp(tname, "model.embed_tokens.weight") == 0);
  CHECK(dtype == QEFF_DTYPE_F32 && rank == 2 && dims[0] == 512 && dims[1] == 64);
  /* A smaller capacity fills only what fits but still reports the rank. */
  dims[1] = -7;
  CHECK_OK(qeff_model_tensor_info(m, idx, NULL, NULL, &rank, dims, 1));
  CHECK(rank == 2 && dims[0] == 512 && dims[1] == -7);
  CHECK(qeff_model_tensor_info(m, idx, NULL, NULL, NULL, NULL, 4) == QEFF_E_INVALID_ARGUMENT);
  CHECK(qeff_model_find_tensor(m, "nope", &idx) == QEFF_E_NOT_FOUND);
  CHECK_OK(qeff_model_config_get(m, "rope_theta", &s));
  CHECK(strcmp(s, "500000") == 0);
  CHECK(qeff_model_config_get(m, "rope_theta.x", &s) == QEFF_E_NOT_FOUND);
  CHECK(s == NULL);

  qeff_model_free(m);
  qeff_model_free(NULL);
}

static void test_request_and_generate(void) {
  qeff_request *r = NULL;
  qeff_result *res = NULL;
  int32_t ids[2] = {1, 2};
  size_t n = 0;
  CHECK_OK(qeff_request_create(&r));
  CHECK_OK(qeff_request_add_text(r, "hello", 5));
  CHECK(qeff_request_add_tokens(r, ids, 2) == QEFF_E_INVALID_ARGUMENT);
  CHECK_OK(qeff_request_num_rows(r, &n));
  CHECK(n == 1);
  CHECK(qeff_generate(NULL, r, NULL, &res) == QEFF_E_INVALID_HANDLE);
  CHECK(res == NULL);
  qeff_result_free(res);
  qeff_request_free(r);
}

struct collected {
  char text[2][4096];
  size_t length[2];
  int events, finished;
};

static int on_token(size_t row, int32_t token, const char *text, size_t length, int row_finished, void *payload) {
  struct collected *c = (struct collected *)payload;
  (void)token;
  CHECK(row < 2);
  if (row < 2 && c->length[row] + length < sizeof c->text[row]) {
    memcpy(c->text[row] + c->length[row], text, length);
    c->length[row] += length;
  }
  c->events++;
  c->finished += row_finished;
  return 0;
}

/* Pulls a stream to its end: the events' texts per row, how many events and
 * finished rows it gave, and every status other than QEFF_OK with an event. */
struct pulled {
  char text[2][4096];
  size_t length[2];
  int events, finished, cancelled_reports, empty_cancel_events;
};

static void pull_to_end(qeff_stream *s, struct pulled *p) {
  qeff_stream_event e;
  int guard = 0;
  for (; guard < 10000; ++guard) {
    qeff_status st = qeff_stream_next(s, &e);
    if (st == QEFF_E_CANCELLED) {
      CHECK(strstr(qeff_last_error_message(), "qeff_stream_next") != NULL);
      ++p->cancelled_reports;
      continue;
    }
    CHECK(st == QEFF_OK);
    if (st != QEFF_OK || !e.has_event) break;
    ++p->events;
    p->finished += e.row_finished;
    if (e.token == -1 && e.length == 0 && e.row_finished) ++p->empty_cancel_events;
    if (e.row < 2 && p->length[e.row] + e.length < sizeof p->text[e.row]) {
      memcpy(p->text[e.row] + p->length[e.row], e.text, e.length);
      p->length[e.row] += e.length;
    }
  }
  /* The end stays the end. */
  CHECK_OK(qeff_stream_next(s, &e));
  CHECK(e.has_event == 0);
}

/* Without `want`: every row of `res` finished as cancelled with no token and
 * no text. With it: every row has `want`'s text and (uncancelled) finish reason. */
static void check_rows(const qeff_result *res, const qeff_result *want) {
  size_t row, len = 0, want_len = 0, n = 0;
  const char *text = NULL, *want_text = NULL;
  const int32_t *ids = NULL;
  qeff_finish_reason got = QEFF_FINISH_NONE, want_why = QEFF_FINISH_NONE;
  for (row = 0; row < 2; ++row) {
    CHECK_OK(qeff_result_finish_reason(res, row, &got));
    CHECK_OK(qeff_result_text(res, row, &text, &len));
    if (want == NULL) {
      CHECK_OK(qeff_result_tokens(res, row, &ids, &n));
      CHECK(got == QEFF_FINISH_CANCELLED && n == 0 && len == 0);
      continue;
    }
    CHECK_OK(qeff_result_finish_reason(want, row, &want_why));
    CHECK_OK(qeff_result_text(want, row, &want_text, &want_len));
    CHECK(got == want_why && got != QEFF_FINISH_CANCELLED);
    CHECK(len == want_len && memcmp(text, want_text, len) == 0);
  }
}

/* qeff_stream_cancel before the first qeff_stream_next, after the end (also
 * with events not yet pulled) and twice (RELIABILITY B15.133): QEFF_OK each
 * time. Before the start every row ends as cancelled without a model run (one
 * empty finishing event per row, then QEFF_E_CANCELLED once, then the end);
 * after the end nothing changes (no QEFF_E_CANCELLED, same texts and finish
 * reasons as qeff_generate). */
static void test_stream_cancel(const qeff_program *p, const qeff_options *o) {
  qeff_request *r = NULL;
  qeff_result *want = NULL, *res = NULL;
  qeff_stream *s = NULL;
  struct pulled got;
  CHECK_OK(qeff_request_create(&r));
  CHECK_OK(qeff_request_add_text(r, "Once upon a time", 16));
  CHECK_OK(qeff_request_add_text(r, "Hello", 5));
  CHECK_OK(qeff_generate(p, r, o, &want));

  /* Before the first qeff_stream_next, twice. */
  CHECK_OK(qeff_stream_create(p, r, o, &s));
  CHECK_OK(qeff_stream_cancel(s));
  CHECK_OK(qeff_stream_cancel(s));
  CHECK(qeff_stream_result(s, &res) == QEFF_E_STATE && res == NULL); /* nothing has run yet */
  memset(&got, 0, sizeof got);
  pull_to_end(s, &got);
  CHECK(got.events == 2 && got.finished == 2 && got.empty_cancel_events == 2);
  CHECK(got.cancelled_reports == 1);
  CHECK_OK(qeff_stream_cancel(s)); /* and after that end */
  CHECK_OK(qeff_stream_result(s, &res));
  if (res != NULL) check_rows(res, NULL);
  qeff_result_free(res);
  res = NULL;
  qeff_stream_free(s);

  /* After the end, twice: a no-op. */
  CHECK_OK(qeff_stream_create(p, r, o, &s));
  memset(&got, 0, sizeof got);
  pull_to_end(s, &got);
  CHECK(got.cancelled_reports == 0 && got.finished == 2);
  CHECK_OK(qeff_stream_cancel(s));
  CHECK_OK(qeff_stream_cancel(s));
  pull_to_end(s, &got);
  CHECK(got.cancelled_reports == 0);
  CHECK_OK(qeff_stream_result(s, &res));
  if (res != NULL) check_rows(res, want);
  qeff_result_free(res);
  res = NULL;
  qeff_stream_free(s);

  /* After the generation ended but before its last events were pulled. */
  CHECK_OK(qeff_stream_create(p, r, o, &s));
  memset(&got, 0, sizeof got);
  {
    qeff_stream_event e;
    int guard = 0;
    while (res == NULL && ++guard < 10000) {
      CHECK_OK(qeff_stream_next(s, &e));
      if (!e.has_event) break;
      got.finished += e.row_finished;
      if (e.row < 2 && got.length[e.row] + e.length < sizeof got.text[e.row]) {
        memcpy(got.text[e.row] + got.length[e.row], e.text, e.length);
        got.length[e.row] += e.length;
      }
      if (qeff_stream_result(s, &res) != QEFF_OK) CHECK(qeff_last_error_code() == QEFF_E_STATE);
    }
  }
  CHECK(res != NULL); /* the generation ended */
  CHECK_OK(qeff_stream_cancel(s));
  CHECK_OK(qeff_stream_cancel(s));
  pull_to_end(s, &got); /* the rest of the events, unchanged */
  CHECK(got.cancelled_reports == 0 && got.finished == 2);
  {
    size_t row, len = 0;
    const char *text = NULL;
    for (row = 0; row < 2; ++row) {
      CHECK_OK(qeff_result_text(want, row, &text, &len));
      CHECK(got.length[row] == len && memcmp(got.text[row], text, len) == 0);
    }
  }
  qeff_result_free(res);
  res = NULL;
  CHECK_OK(qeff_stream_result(s, &res));
  if (res != NULL) check_rows(res, want);
  qeff_result_free(res);
  qeff_stream_free(s);
  qeff_result_free(want);
  qeff_request_free(r);
}

/* Text generation from C: compile the causal LM, generate greedily over two
 * prompts of different lengths, stream with the callback and the pull
 * iterator (concatenations equal the final texts), cancel, every accessor. */
static void test_text_generation(const char *dir) {
  qeff_model *m = NULL;
  qeff_options *o = NULL;
  qeff_program *p = NULL;
  qeff_request *r = NULL;
  qeff_result *res = NULL, *streamed = NULL, *pulled = NULL;
  qeff_stream *s = NULL;
  struct collected c;
  size_t n = 0, len = 0, row;
  const char *text = NULL;
  const int32_t *ids = NULL;
  qeff_finish_reason why = QEFF_FINISH_NONE;
  double v = 0;
  memset(&c, 0, sizeof c);
  CHECK_OK(qeff_model_load(dir, NULL, &m));
  CHECK_OK(qeff_options_create(&o));
  CHECK_OK(qeff_options_set(o, "cache.enabled", "false"));
  CHECK_OK(qeff_options_set_int(o, "compile.prefill_seq_len", 4));
  CHECK_OK(qeff_options_set_int(o, "compile.ctx_len", 48));
  CHECK_OK(qeff_options_set_int(o, "compile.batch_size", 2));
  CHECK_OK(qeff_compile(m, o, &p));
  CHECK_OK(qeff_request_create(&r));
  CHECK_OK(qeff_request_add_text(r, "Once upon a time", 16));
  CHECK_OK(qeff_request_add_text(r, "Hello", 5));
  CHECK_OK(qeff_options_set_int(o, "generate.max_new_tokens", 10));
  CHECK_OK(qeff_generate(p, r, o, &res));
  CHECK_OK(qeff_result_num_rows(res, &n));
  CHECK(n == 2);
  CHECK_OK(qeff_result_tokens(res, 1, &ids, &n));
  CHECK(ids != NULL && n >= 1 && n <= 10);
  CHECK_OK(qeff_result_finish_reason(res, 0, &why));
  CHECK(why == QEFF_FINISH_LENGTH || why == QEFF_FINISH_EOS);
  CHECK_OK(qeff_result_num_tokens(res, 0, &n));
  CHECK(n > 1);
  CHECK_OK(qeff_result_stat(res, "decode_tokens_per_s", &v));
  CHECK(v > 0);
  CHECK(qeff_result_text(res, 2, &text, &len) == QEFF_E_INVALID_ARGUMENT);

  CHECK_OK(qeff_generate_stream(p, r, o, on_token, &c, &streamed));
  CHECK(c.finished == 2);
  CHECK_OK(qeff_stream_create(p, r, o, &s));
  qeff_request_free(r); /* the stream keeps what it needs */
  {
    char pulled_text[2][4096];
    size_t pulled_len[2] = {0, 0};
    qeff_stream_event e;
    for (;;) {
      CHECK_OK(qeff_stream_next(s, &e));
      if (!e.has_event) break;
      row = e.row;
      if (row < 2 && pulled_len[row] + e.length < sizeof pulled_text[row]) {
        memcpy(pulled_text[row] + pulled_len[row], e.text, e.length);
        pulled_len[row] += e.length;
      }
    }
    CHECK_OK(qeff_stream_result(s, &pulled));
    for (row = 0; row < 2; ++row) {
      CHECK_OK(qeff_result_text(res, row, &text, &len));
      CHECK(len == c.length[row] && memcmp(text, c.text[row], len) == 0);
      CHECK(len == pulled_len[row] && memcmp(text, pulled_text[row], len) == 0);
      CHECK(strlen(text) == len);
    }
  }
  CHECK_OK(qeff_stream_cancel(s)); /* after the end: harmless */
  qeff_stream_free(s);
  qeff_stream_free(NULL);
  qeff_result_free(pulled);
  qeff_result_free(streamed);
  qeff_result_free(res);
  CHECK(qeff_stream_next(NULL, NULL) == QEFF_E_INVALID_HANDLE);
  test_stream_cancel(p, o);
  qeff_program_free(p);
  qeff_options_free(o);
  qeff_model_free(m);
}

/* Embeddings and reranking from C: compile and export a model, generate over
 * texts, pairs and token ids, every result accessor. `dir` is the fixtures'
 * llama-tiny; its siblings bert-tiny and bert-reranker-tiny are used. */
static void test_embeddings(const char *dir, const char *work) {
  char path[4096], out[4096];
  qeff_model *m = NULL, *rm = NULL;
  qeff_options *o = NULL;
  qeff_program *p = NULL, *rp = NULL;
  qeff_request *r = NULL, *pairs = NULL, *ids = NULL;
  qeff_result *res = NULL, *scores = NULL, *tok_res = NULL;
  qeff_tokenizer *t = NULL;
  const float *data = NULL;
  size_t rows = 0, dim = 0, n = 0;
  double v = 0;
  const char *json = NULL;
  const int64_t lens[] = {32, 16};
  const int32_t row[] = {2, 179, 151, 3};
  snprintf(path, sizeof path, "%s/../bert-tiny", dir);
  CHECK_OK(qeff_model_load(path, NULL, &m));
  CHECK_OK(qeff_options_create(&o));
  CHECK_OK(qeff_options_set_bool(o, "cache.enabled", 0));
  CHECK_OK(qeff_options_set_int_list(o, "compile.seq_len", lens, 2));
  CHECK_OK(qeff_options_set_int(o, "compile.batch_size", 2));
  CHECK_OK(qeff_compile(m, o, &p));
  CHECK_OK(qeff_program_tokenizer(p, &t));
  CHECK_OK(qeff_tokenizer_vocab_size(t, &n));
  CHECK(n == 512);
  snprintf(out, sizeof out, "%s/c-api-export", work);
  CHECK_OK(qeff_options_set_bool(o, "export.overwrite", 1));
  CHECK_OK(qeff_export(m, out, o));
  CHECK(qeff_export(NULL, out, o) == QEFF_E_INVALID_HANDLE);

  CHECK_OK(qeff_request_create(&r));
  CHECK_OK(qeff_request_add_text(r, "Hello world!", 12));
  CHECK_OK(qeff_request_add_text(r, "The quick brown fox jumps over the lazy dog.", 44));
  CHECK_OK(qeff_request_add_text(r, "hi", 2));
  CHECK_OK(qeff_generate(p, r, NULL, &res));
  CHECK_OK(qeff_result_num_rows(res, &n));
  CHECK(n == 3);
  CHECK_OK(qeff_result_embeddings(res, &data, &rows, &dim));
  CHECK(data != NULL && rows == 3 && dim == 32);
  {
    double norm = 0; /* bert-tiny's sentence-transformers files normalize */
    for (size_t i = 0; i < dim; ++i) norm += (double)data[i] * data[i];
    CHECK(norm > 0.9999 && norm < 1.0001);
  }
  CHECK_OK(qeff_result_num_tokens(res, 0, &n));
  CHECK(n == 5); /* [CLS] hello world ! [SEP] */
  CHECK(qeff_result_num_tokens(res, 3, &n) == QEFF_E_INVALID_ARGUMENT);
  CHECK_OK(qeff_result_stat(res, "batches", &v));
  CHECK(v == 2);
  CHECK(qeff_result_stat(res, "nope", &v) == QEFF_E_NOT_FOUND);
  CHECK_OK(qeff_result_stats_json(res, &json));
  CHECK(json != NULL && strstr(json, "total_ms") != NULL);
  CHECK(qeff_result_scores(res, &data, &rows, &dim) == QEFF_E_NOT_FOUND);
  CHECK(qeff_result_token_embeddings(res, 0, &data, &n, &dim) == QEFF_E_NOT_FOUND);

  /* Pooling none from token ids: the row's 4 tokens only. */
  CHECK_OK(qeff_options_set(o, "model.pooling", "none"));
  qeff_program_free(p);
  p = NULL;
  CHECK_OK(qeff_compile(m, o, &p));
  CHECK_OK(qeff_request_create(&ids));
  CHECK_OK(qeff_request_add_tokens(ids, row, 4));
  CHECK_OK(qeff_generate(p, ids, NULL, &tok_res));
  CHECK_OK(qeff_result_token_embeddings(tok_res, 0, &data, &n, &dim));
  CHECK(data != NULL && n == 4 && dim == 32);

  /* A reranker scores text pairs. */
  snprintf(path, sizeof path, "%s/../bert-reranker-tiny", dir);
  CHECK_OK(qeff_model_load(path, NULL, &rm));
  CHECK_OK(qeff_options_set(o, "model.pooling", ""));
  CHECK_OK(qeff_compile(rm, o, &rp));
  CHECK_OK(qeff_request_create(&pairs));
  CHECK_OK(qeff_request_add_text_pair(pairs, "what is a fox", 13, "a fox is an animal", 18));
  CHECK(qeff_request_add_text_pair(pairs, NULL, 3, "x", 1) == QEFF_E_INVALID_ARGUMENT);
  CHECK_OK(qeff_generate(rp, pairs, NULL, &scores));
  CHECK_OK(qeff_result_scores(scores, &data, &rows, &dim));
  CHECK(data != NULL && rows == 1 && dim == 1);

  qeff_result_free(scores);
  qeff_result_free(tok_res);
  qeff_result_free(res);
  qeff_result_free(NULL);
  qeff_request_free(pairs);
  qeff_request_free(ids);
  qeff_request_free(r);
  qeff_tokenizer_free(t);
  qeff_program_free(rp);
  qeff_program_free(p);
  qeff_options_free(o);
  qeff_model_free(rm);
  qeff_model_free(m);
}

/* Every tokenizer function, on the model directory's tokenizer (llama-tiny:
 * BPE with byte fallback, <s> = 1, </s> = 2, pad <unk> = 0). */
static void test_tokenizer(const char *dir) {
  qeff_tokenizer *t = NULL, *mt = NULL;
  qeff_model *m = NULL;
  qeff_options *o = NULL;
  qeff_encoding *e = NULL;
  qeff_decoder *d = NULL;
  const char *texts[2] = {"hello world \xF0\x9F\x98\x80", "hi"};
  size_t lengths[2];
  const int32_t *ids = NULL, *mask = NULL;
  const size_t *offsets = NULL;
  const char *tok = NULL, *piece = NULL;
  char *text = NULL, streamed[256];
  size_t n = 0, n2 = 0, rows = 0, vocab = 0, len = 0, i, used = 0;
  int32_t id = -1, copy[64];

  lengths[0] = strlen(texts[0]);
  lengths[1] = strlen(texts[1]);
  CHECK_OK(qeff_tokenizer_load(dir, NULL, &t));
  if (t == NULL) return;
  CHECK_OK(qeff_model_load(dir, NULL, &m));
  CHECK_OK(qeff_model_tokenizer(m, &mt));
  qeff_model_free(m); /* the tokenizer outlives the model */
  CHECK_OK(qeff_tokenizer_vocab_size(mt, &vocab));
  CHECK(vocab == 512);
  CHECK_OK(qeff_tokenizer_special_id(t, QEFF_SPECIAL_BOS, &id));
  CHECK(id == 1);
  CHECK_OK(qeff_tokenizer_special_id(t, QEFF_SPECIAL_EOS, &id));
  CHECK(id == 2);
  CHECK_OK(qeff_tokenizer_special_id(t, QEFF_SPECIAL_PAD, &id));
  CHECK(id == 0);
  CHECK_OK(qeff_tokenizer_special_id(t, QEFF_SPECIAL_UNK, &id));
  CHECK(id == 0);
  CHECK_OK(qeff_tokenizer_token_to_id(t, "</s>", &id));
  CHECK(id == 2);
  CHECK(qeff_tokenizer_token_to_id(t, "no such token", &id) == QEFF_E_NOT_FOUND);
  CHECK_OK(qeff_tokenizer_id_to_token(t, 1, &tok, &len));
  CHECK(tok != NULL && strcmp(tok, "<s>") == 0 && len == 3);
  CHECK(qeff_tokenizer_id_to_token(t, 512, &tok, &len) == QEFF_E_NOT_FOUND);

  /* One text: <s> first, offsets inside the text. */
  CHECK_OK(qeff_tokenizer_encode(t, texts[0], lengths[0], NULL, &e));
  CHECK_OK(qeff_encoding_num_rows(e, &rows));
  CHECK(rows == 1);
  CHECK_OK(qeff_encoding_row(e, 0, &ids, &mask, &n));
  CHECK(n > 2 && n <= 64 && ids[0] == 1 && mask[0] == 1);
  CHECK_OK(qeff_encoding_offsets(e, 0, &offsets, &n2));
  CHECK(n2 == n && offsets[2 * n - 1] == lengths[0]);
  if (n > 64) n = 64;
  memcpy(copy, ids, n * sizeof *ids);
  qeff_encoding_free(e);
  e = NULL;

  /* Decode (skipping <s>) gives the text back; the stream equals it. */
  CHECK_OK(qeff_tokenizer_decode(t, copy, n, 1, &text, &len));
  CHECK(text != NULL && len == lengths[0] && memcmp(text, texts[0], len) == 0);
  qeff_string_free(text);
  CHECK_OK(qeff_decoder_create(mt, 1, &d));
  for (i = 0; i < n; ++i) {
    CHECK_OK(qeff_decoder_step(d, copy[i], &piece, &len));
    if (piece != NULL && used + len < sizeof streamed) {
      memcpy(streamed + used, piece, len);
      used += len;
    }
  }
  CHECK_OK(qeff_decoder_finish(d, &piece, &len));
  if (piece != NULL && used + len < sizeof streamed) {
    memcpy(streamed + used, piece, len);
    used += len;
  }
  CHECK(used == lengths[0] && memcmp(streamed, texts[0], used) == 0);
  qeff_decoder_free(d);

  /* A batch padded on the left with the "tokenize.*" options. */
  CHECK_OK(qeff_options_create(&o));
  CHECK_OK(qeff_options_set(o, "tokenize.padding", "longest"));
  CHECK_OK(qeff_options_set(o, "tokenize.padding_side", "left"));
  CHECK_OK(qeff_options_set_bool(o, "tokenize.add_special_tokens", 1));
  CHECK_OK(qeff_options_set_bool(o, "tokenize.parse_special", 0));
  CHECK_OK(qeff_options_set_int(o, "tokenize.truncation", 0));
  CHECK_OK(qeff_options_set_int(o, "tokenize.pad_to_multiple_of", 0));
  CHECK_OK(qeff_tokenizer_encode_batch(t, texts, lengths, 2, o, &e));
  CHECK_OK(qeff_encoding_num_rows(e, &rows));
  CHECK(rows == 2);
  CHECK_OK(qeff_encoding_row(e, 1, &ids, &mask, &n2));
  CHECK(n2 == n && mask[0] == 0 && ids[0] == 0 && mask[n2 - 1] == 1);
  qeff_encoding_free(e);
  CHECK(qeff_tokenizer_encode(t, "\xC3", 1, NULL, &e) == QEFF_E_INVALID_ARGUMENT);
  CHECK(strstr(qeff_last_error_message(), "byte offset 0") != NULL);
  CHECK(e == NULL);
  qeff_options_free(o);
  qeff_tokenizer_free(mt);
  qeff_tokenizer_free(t);
  qeff_tokenizer_free(NULL);
  qeff_encoding_free(NULL);
  qeff_decoder_free(NULL);
  qeff_string_free(NULL);
}

/* Compile the golden kv_step graph (a cache kept as retained state), run it
 * twice, read the state, save and reload the package. */
static void test_program(const char *golden_dir, const char *work_dir) {
  char onnx[4096], pkg[4096];
  snprintf(onnx, sizeof onnx, "%s/kv_step/model.onnx", golden_dir);
  snprintf(pkg, sizeof pkg, "%s/c-api-package", work_dir);
  qeff_options *o = NULL;
  qeff_program *p = NULL, *loaded = NULL;
  qeff_session *s = NULL;
  qeff_tensors *in = NULL, *out = NULL, *state = NULL;
  const char *info = NULL, *name = NULL;
  const void *data = NULL;
  size_t count = 0, rank = 0, nbytes = 0, index = 0;
  qeff_dtype dtype = QEFF_DTYPE_UNKNOWN;
  int64_t pos_shape[2] = {1, 1}, upd_shape[4] = {1, 2, 1, 4}, ctx_shape[2] = {1, 2}, dims[4] = {0, 0, 0, 0};
  int64_t pos = 3, ctx[2] = {3, 0};
  float upd[8] = {1, 2, 3, 4, 5, 6, 7, 8};

  CHECK_OK(qeff_options_create(&o));
  CHECK_OK(qeff_options_set(o, "compile.specializations",
                            "[{\"name\": \"step\", \"symbols\": {\"batch\": 1, \"seq\": 1, \"n\": 2}}]"));
  CHECK_OK(qeff_options_set(o, "runtime.threads", "2"));
  CHECK_OK(qeff_options_set(o, "package.overwrite", "true"));
  CHECK_OK(qeff_compile_onnx(onnx, o, &p));
  CHECK_OK(qeff_program_info(p, &info));
  CHECK(info != NULL && strstr(info, "\"retained_state\"") != NULL);
  CHECK_OK(qeff_session_create(p, o, &s));
  CHECK_OK(qeff_tensors_create(&in));
  CHECK_OK(qeff_tensors_set(in, "position", QEFF_DTYPE_I64, pos_shape, 2, &pos, sizeof pos));
  CHECK_OK(qeff_tensors_set(in, "update", QEFF_DTYPE_F32, upd_shape, 4, upd, sizeof upd));
  CHECK_OK(qeff_tensors_set(in, "ctx", QEFF_DTYPE_I64, ctx_shape, 2, ctx, sizeof ctx));
  CHECK_OK(qeff_tensors_count(in, &count));
  CHECK(count == 3);
  CHECK_OK(qeff_session_run(s, in, &out));
  CHECK_OK(qeff_tensors_find(out, "gathered", &index));
  CHECK_OK(qeff_tensors_info(out, index, &name, &dtype, &rank));
  CHECK(strcmp(name, "gathered") == 0 && dtype == QEFF_DTYPE_F32 && rank == 4);
  CHECK_OK(qeff_tensors_shape(out, index, dims, 4));
  CHECK(dims[0] == 1 && dims[1] == 2 && dims[2] == 2 && dims[3] == 4);
  CHECK_OK(qeff_tensors_data(out, index, &data, &nbytes));
  /* ctx[0] = 3 gathers the update just scattered at position 3; ctx[1] = 0 a zero. */
  CHECK(nbytes == 64 && ((const float *)data)[0] == 1.0f && ((const float *)data)[4] == 0.0f);
  CHECK_OK(qeff_session_read_state(s, "cache", &state));
  CHECK_OK(qeff_tensors_data(state, 0, &data, &nbytes));
  CHECK(nbytes == 1 * 2 * 8 * 4 * 4 && ((const float *)data)[3 * 4] == 1.0f);
  CHECK_OK(qeff_session_reset(s));
  qeff_tensors_free(out);
  out = NULL;
  CHECK(qeff_session_read_state(s, "cache", &out) == QEFF_E_STATE);
  CHECK(out == NULL);
  CHECK_OK(qeff_program_save(p, pkg, o));
  CHECK_OK(qeff_program_load(pkg, NULL, &loaded));
  qeff_tensors_free(state);
  qeff_tensors_free(out);
  qeff_tensors_free(in);
  qeff_session_free(s);
  qeff_program_free(loaded);
  qeff_program_free(p);
  qeff_options_free(o);
  qeff_session_free(NULL);
  qeff_tensors_free(NULL);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s MODEL_DIR GOLDEN_DIR WORK_DIR\n", argv[0]);
    return 2;
  }
  test_version_and_errors();
  test_options();
  test_model(argv[1]);
  test_request_and_generate();
  test_tokenizer(argv[1]);
  test_program(argv[2], argv[3]);
  test_embeddings(argv[1], argv[3]);
  test_text_generation(argv[1]);
  if (failures > 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("c-api: all checks passed\n");
  return 0;
}
