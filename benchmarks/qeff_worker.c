/* qeff worker of the encoder benchmark (driven by run_encoders.py).
 *
 *   qeff_worker export MODEL_DIR OUT_DIR POOLING
 *       qeff_export of the model's graph (model.pooling = POOLING) into OUT_DIR
 *       (model.onnx + model.onnx.data, replaced if present): the graph ONNX
 *       Runtime runs.
 *   qeff_worker serve MODEL_DIR CACHE_DIR IDS_FILE BATCH SEQ THREADS WEIGHT_DTYPE EMB_OUT
 *       qeff_model_load + qeff_compile (compile.batch_size BATCH, compile.seq_len
 *       SEQ, runtime.threads THREADS, compile.weight_dtype WEIGHT_DTYPE,
 *       model.pooling mean, cache.dir CACHE_DIR), builds one request of BATCH
 *       token rows of SEQ int32 ids read from IDS_FILE, warms up (2 calls),
 *       writes the embeddings of the first call to EMB_OUT (float32 [BATCH, dim]),
 *       prints {"compile_s": ..., "dim": ...} and "ready", then answers each stdin
 *       line "run K" with {"times_ms": [...], "compute_ms": [...]}: K timed
 *       qeff_generate calls (the result freed outside the timed span), until
 *       "quit" or end of input.
 *
 * Built by run_encoders.py: cc -O2 qeff_worker.c -I include -L BUILD/src -lqeff.
 */
#define _POSIX_C_SOURCE 200809L
#include <qeff/qeff.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void check(qeff_status s, const char *what) {
  if (s != QEFF_OK) {
    fprintf(stderr, "qeff_worker: %s: %s: %s\n", what, qeff_status_name(s), qeff_last_error_message());
    exit(1);
  }
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void set(qeff_options *o, const char *key, const char *value) {
  char what[256];
  snprintf(what, sizeof what, "qeff_options_set(%s = %s)", key, value);
  check(qeff_options_set(o, key, value), what);
}

static int do_export(int argc, char **argv) {
  if (argc != 5) return 2;
  qeff_model *model = NULL;
  check(qeff_model_load(argv[2], NULL, &model), "qeff_model_load");
  qeff_options *o = NULL;
  check(qeff_options_create(&o), "qeff_options_create");
  set(o, "model.pooling", argv[4]);
  set(o, "export.overwrite", "true");
  double t0 = now_ms();
  check(qeff_export(model, argv[3], o), "qeff_export");
  printf("{\"export_s\": %.3f}\n", (now_ms() - t0) / 1e3);
  qeff_options_free(o);
  qeff_model_free(model);
  return 0;
}

static int do_serve(int argc, char **argv) {
  if (argc != 10) return 2;
  const char *model_dir = argv[2], *cache_dir = argv[3], *ids_file = argv[4];
  const long batch = atol(argv[5]), seq = atol(argv[6]);
  const char *threads = argv[7], *weight_dtype = argv[8], *emb_out = argv[9];
  if (batch <= 0 || seq <= 0) return 2;

  size_t n = (size_t)batch * (size_t)seq;
  int32_t *ids = malloc(n * sizeof *ids);
  FILE *f = fopen(ids_file, "rb");
  if (!ids || !f || fread(ids, sizeof *ids, n, f) != n) {
    fprintf(stderr, "qeff_worker: cannot read %zu ids from %s\n", n, ids_file);
    return 1;
  }
  fclose(f);

  qeff_model *model = NULL;
  check(qeff_model_load(model_dir, NULL, &model), "qeff_model_load");
  qeff_options *o = NULL;
  check(qeff_options_create(&o), "qeff_options_create");
  set(o, "compile.batch_size", argv[5]);
  set(o, "compile.seq_len", argv[6]);
  set(o, "compile.weight_dtype", weight_dtype);
  set(o, "runtime.threads", threads);
  set(o, "cache.dir", cache_dir);
  set(o, "model.pooling", "mean");
  double t0 = now_ms();
  qeff_program *program = NULL;
  check(qeff_compile(model, o, &program), "qeff_compile");
  double compile_s = (now_ms() - t0) / 1e3;
  qeff_model_free(model);

  qeff_request *req = NULL;
  check(qeff_request_create(&req), "qeff_request_create");
  for (long r = 0; r < batch; ++r)
    check(qeff_request_add_tokens(req, ids + (size_t)r * (size_t)seq, (size_t)seq), "qeff_request_add_tokens");

  size_t rows = 0, dim = 0;
  for (int w = 0; w < 2; ++w) {
    qeff_result *res = NULL;
    check(qeff_generate(program, req, o, &res), "qeff_generate");
    if (w == 0) {
      const float *emb = NULL;
      check(qeff_result_embeddings(res, &emb, &rows, &dim), "qeff_result_embeddings");
      FILE *e = fopen(emb_out, "wb");
      if (!e || fwrite(emb, sizeof *emb, rows * dim, e) != rows * dim || fclose(e) != 0) {
        fprintf(stderr, "qeff_worker: cannot write %s\n", emb_out);
        return 1;
      }
    }
    qeff_result_free(res);
  }
  printf("{\"compile_s\": %.3f, \"rows\": %zu, \"dim\": %zu}\nready\n", compile_s, rows, dim);
  fflush(stdout);

  char line[128];
  while (fgets(line, sizeof line, stdin)) {
    int k = 0;
    if (sscanf(line, "run %d", &k) != 1 || k <= 0) break;
    double *t = malloc(sizeof *t * (size_t)k), *c = malloc(sizeof *c * (size_t)k);
    if (!t || !c) return 1;
    for (int i = 0; i < k; ++i) {
      qeff_result *res = NULL;
      double a = now_ms();
      qeff_status s = qeff_generate(program, req, o, &res);
      t[i] = now_ms() - a;
      check(s, "qeff_generate");
      check(qeff_result_stat(res, "compute_ms", &c[i]), "qeff_result_stat");
      qeff_result_free(res);
    }
    printf("{\"times_ms\": [");
    for (int i = 0; i < k; ++i) printf("%s%.4f", i ? ", " : "", t[i]);
    printf("], \"compute_ms\": [");
    for (int i = 0; i < k; ++i) printf("%s%.4f", i ? ", " : "", c[i]);
    printf("]}\n");
    fflush(stdout);
    free(t);
    free(c);
  }
  qeff_request_free(req);
  qeff_program_free(program);
  qeff_options_free(o);
  free(ids);
  return 0;
}

int main(int argc, char **argv) {
  int rc = 2;
  if (argc >= 2 && strcmp(argv[1], "export") == 0) rc = do_export(argc, argv);
  else if (argc >= 2 && strcmp(argv[1], "serve") == 0) rc = do_serve(argc, argv);
  if (rc == 2)
    fprintf(stderr, "usage: qeff_worker export MODEL_DIR OUT_DIR POOLING\n"
                    "       qeff_worker serve MODEL_DIR CACHE_DIR IDS_FILE BATCH SEQ THREADS WEIGHT_DTYPE EMB_OUT\n");
  return rc;
}
