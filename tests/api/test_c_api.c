/*
 * Every public function of include/qeff/qeff.h, called from C.
 * Usage: c_api_test FIXTURE_MODEL_DIR (a causal LM such as llama-tiny)
 */
#include <stdio.h>
#include <string.h>

#include "qeff/qeff.h"

static int failures = 0;

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s %s)\n", __FILE__, __LINE__, \
              #cond, qeff_status_name(qeff_last_error_code()), qeff_last_error_message()); \
      ++failures;                                                          \
    }                                                                      \
  } while (0)

#define CHECK_OK(call) CHECK((call) == QEFF_OK)

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

  {
    qeff_program *p = (qeff_program *)&v;
    CHECK(qeff_compile(m, NULL, &p) == QEFF_E_UNSUPPORTED);
    CHECK(p == NULL);
    CHECK(strstr(qeff_last_error_message(), "compiler") != NULL);
    qeff_program_free(p);
  }
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

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MODEL_DIR\n", argv[0]);
    return 2;
  }
  test_version_and_errors();
  test_options();
  test_model(argv[1]);
  test_request_and_generate();
  if (failures > 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("c-api: all checks passed\n");
  return 0;
}
