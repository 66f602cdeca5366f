/* qeff worker of the causal-LM benchmark (driven by run_lm.py).
 *
 *   lm_qeff_worker MODEL_DIR CACHE_DIR|none THREADS WEIGHT_DTYPE PROMPT_LEN CTX_LEN NEW_TOKENS REPS IDS_FILE
 *                  [KV_CACHE_DTYPE]
 *
 * qeff_model_load + qeff_compile (compile.prefill_seq_len PROMPT_LEN,
 * compile.ctx_len CTX_LEN, compile.batch_size 1, compile.weight_dtype
 * WEIGHT_DTYPE (or int4 and compile.int4_block_size 128 for "int4g128"),
 * runtime.threads THREADS; model.kv_cache_dtype KV_CACHE_DTYPE when given,
 * else the library's default f32; cache.dir CACHE_DIR, or
 * cache.enabled false for "none"); the model is freed after the compile. One
 * request holds one row of PROMPT_LEN int32 token ids read from IDS_FILE.
 * Then 1 warm-up call (generate.max_new_tokens 2) and REPS measured calls of
 * qeff_generate with generate.max_new_tokens NEW_TOKENS + 1 and
 * generate.ignore_eos true (greedy): the prompt is one Prefill run (PROMPT_LEN
 * = compile.prefill_seq_len), which yields the first token, then NEW_TOKENS
 * Decode runs. Per call it records qeff's own statistics "prefill_ms",
 * "prefill_tokens_per_s" (prompt tokens / prefill_ms: the Prefill run plus the
 * sampling of the first token), "decode_ms", "decode_tokens_per_s" (decode
 * tokens / decode_ms: the Decode runs plus sampling) and the wall time of the
 * whole qeff_generate call. Prints one JSON line on stdout:
 *   {"load_s", "compile_s", "prefill_ms": [...], "prefill_tok_s": [...],
 *    "decode_ms": [...], "decode_tok_s": [...], "wall_ms": [...], "tokens": [...]}
 * ("tokens": the generated ids of the last call), progress on stderr.
 *
 * With LM_BANDWIDTH_PROBE set in the environment (a command line, run_lm.py
 * --bandwidth-per-call: bandwidth.c with the same threads), the worker runs
 * that command before each measured call and after the last (REPS + 1
 * times, through the shell) and adds "bandwidth_gbs": [the median GB/s of
 * each, in order] to the JSON line, so that each call's decode can be set
 * against the bandwidth right around it.
 *
 * Built by run_lm.py: cc -O2 lm_qeff_worker.c -I include -L BUILD/src -lqeff.
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
    fprintf(stderr, "lm_qeff_worker: %s: %s: %s\n", what, qeff_status_name(s), qeff_last_error_message());
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

static double stat(const qeff_result *res, const char *name) {
  double v = 0;
  char what[128];
  snprintf(what, sizeof what, "qeff_result_stat(%s)", name);
  check(qeff_result_stat(res, name, &v), what);
  return v;
}

/* Runs the LM_BANDWIDTH_PROBE command; returns the "median" of its JSON line (GB/s). Exits on failure. */
static double probe_bandwidth(const char *cmd) {
  FILE *p = popen(cmd, "r");
  if (!p) {
    perror("lm_qeff_worker: popen(LM_BANDWIDTH_PROBE)");
    exit(1);
  }
  char line[4096] = "", last[4096] = "";
  while (fgets(line, sizeof line, p)) memcpy(last, line, sizeof last);
  const int rc = pclose(p);
  const char *m = strstr(last, "\"median\": ");
  char *end = NULL;
  const double gbs = m ? strtod(m + 10, &end) : 0.0;
  if (rc != 0 || !m || end == m + 10 || !(gbs > 0)) {
    fprintf(stderr, "lm_qeff_worker: LM_BANDWIDTH_PROBE (%s) failed (status %d) or printed no median: %s\n", cmd, rc,
            last);
    exit(1);
  }
  return gbs;
}

static void print_list(const char *name, const double *v, int n) {
  printf(", \"%s\": [", name);
  for (int i = 0; i < n; ++i) printf("%s%.4f", i ? ", " : "", v[i]);
  printf("]");
}

int main(int argc, char **argv) {
  if (argc != 10 && argc != 11) {
    fprintf(stderr, "usage: lm_qeff_worker MODEL_DIR CACHE_DIR|none THREADS WEIGHT_DTYPE PROMPT_LEN CTX_LEN "
                    "NEW_TOKENS REPS IDS_FILE [KV_CACHE_DTYPE]\n");
    return 2;
  }
  const char *model_dir = argv[1], *cache_dir = argv[2], *threads = argv[3], *weight_dtype = argv[4];
  const long prompt_len = atol(argv[5]), new_tokens = atol(argv[7]);
  const int reps = atoi(argv[8]);
  const char *ids_file = argv[9];
  if (prompt_len <= 0 || new_tokens <= 0 || reps <= 0) return 2;

  int32_t *ids = malloc((size_t)prompt_len * sizeof *ids);
  FILE *f = fopen(ids_file, "rb");
  if (!ids || !f || fread(ids, sizeof *ids, (size_t)prompt_len, f) != (size_t)prompt_len) {
    fprintf(stderr, "lm_qeff_worker: cannot read %ld ids from %s\n", prompt_len, ids_file);
    return 1;
  }
  fclose(f);

  double t0 = now_ms();
  qeff_model *model = NULL;
  check(qeff_model_load(model_dir, NULL, &model), "qeff_model_load");
  const double load_s = (now_ms() - t0) / 1e3;

  qeff_options *o = NULL;
  check(qeff_options_create(&o), "qeff_options_create");
  set(o, "compile.batch_size", "1");
  set(o, "compile.prefill_seq_len", argv[5]);
  set(o, "compile.ctx_len", argv[6]);
  /* "int4g128": int4 weights in groups of 128 (compile.int4_block_size). */
  if (strcmp(weight_dtype, "int4g128") == 0) {
    set(o, "compile.weight_dtype", "int4");
    set(o, "compile.int4_block_size", "128");
  } else {
    set(o, "compile.weight_dtype", weight_dtype);
  }
  set(o, "runtime.threads", threads);
  if (argc == 11) set(o, "model.kv_cache_dtype", argv[10]);
  if (strcmp(cache_dir, "none") == 0) set(o, "cache.enabled", "false");
  else set(o, "cache.dir", cache_dir);
  set(o, "generate.ignore_eos", "true");
  t0 = now_ms();
  qeff_program *program = NULL;
  check(qeff_compile(model, o, &program), "qeff_compile");
  const double compile_s = (now_ms() - t0) / 1e3;
  qeff_model_free(model);
  fprintf(stderr, "lm_qeff_worker: %s: load %.2f s, compile %.2f s\n", weight_dtype, load_s, compile_s);

  qeff_request *req = NULL;
  check(qeff_request_create(&req), "qeff_request_create");
  check(qeff_request_add_tokens(req, ids, (size_t)prompt_len), "qeff_request_add_tokens");

  /* Warm-up: the session, its memory and the thread pool; pages of the packed weights. */
  set(o, "generate.max_new_tokens", "2");
  qeff_result *res = NULL;
  t0 = now_ms();
  check(qeff_generate(program, req, o, &res), "qeff_generate (warm-up)");
  fprintf(stderr, "lm_qeff_worker: warm-up %.2f s\n", (now_ms() - t0) / 1e3);
  qeff_result_free(res);

  char buf[32];
  snprintf(buf, sizeof buf, "%ld", new_tokens + 1);
  set(o, "generate.max_new_tokens", buf);
  double *pm = calloc((size_t)reps, sizeof *pm), *pt = calloc((size_t)reps, sizeof *pt),
         *dm = calloc((size_t)reps, sizeof *dm), *dt = calloc((size_t)reps, sizeof *dt),
         *wm = calloc((size_t)reps, sizeof *wm), *bw = calloc((size_t)reps + 1, sizeof *bw);
  if (!pm || !pt || !dm || !dt || !wm || !bw) return 1;
  const char *probe = getenv("LM_BANDWIDTH_PROBE");
  if (probe && !*probe) probe = NULL;
  int32_t *last = NULL;
  size_t nlast = 0;
  for (int r = 0; r < reps; ++r) {
    if (probe) bw[r] = probe_bandwidth(probe);
    res = NULL;
    double a = now_ms();
    qeff_status s = qeff_generate(program, req, o, &res);
    wm[r] = now_ms() - a;
    check(s, "qeff_generate");
    pm[r] = stat(res, "prefill_ms");
    pt[r] = stat(res, "prefill_tokens_per_s");
    dm[r] = stat(res, "decode_ms");
    dt[r] = stat(res, "decode_tokens_per_s");
    const double prompt = stat(res, "prompt_tokens"), gen = stat(res, "generated_tokens");
    const double pruns = stat(res, "prefill_runs"), druns = stat(res, "decode_runs");
    if (prompt != (double)prompt_len || gen != (double)(new_tokens + 1) || pruns != 1 || druns != (double)new_tokens) {
      fprintf(stderr, "lm_qeff_worker: unexpected stats: prompt_tokens %g, generated_tokens %g, prefill_runs %g, "
                      "decode_runs %g\n", prompt, gen, pruns, druns);
      return 1;
    }
    const int32_t *toks = NULL;
    check(qeff_result_tokens(res, 0, &toks, &nlast), "qeff_result_tokens");
    free(last);
    last = malloc(nlast * sizeof *last);
    if (!last) return 1;
    memcpy(last, toks, nlast * sizeof *last);
    fprintf(stderr, "lm_qeff_worker: %s call %d: prefill %.1f ms (%.1f tok/s), decode %.1f ms (%.2f tok/s)\n",
            weight_dtype, r + 1, pm[r], pt[r], dm[r], dt[r]);
    qeff_result_free(res);
  }
  if (probe) bw[reps] = probe_bandwidth(probe);
  printf("{\"load_s\": %.3f, \"compile_s\": %.3f", load_s, compile_s);
  print_list("prefill_ms", pm, reps);
  print_list("prefill_tok_s", pt, reps);
  print_list("decode_ms", dm, reps);
  print_list("decode_tok_s", dt, reps);
  print_list("wall_ms", wm, reps);
  if (probe) print_list("bandwidth_gbs", bw, reps + 1);
  printf(", \"tokens\": [");
  for (size_t i = 0; i < nlast; ++i) printf("%s%d", i ? ", " : "", (int)last[i]);
  printf("]}\n");
  fflush(stdout);

  free(last);
  free(pm), free(pt), free(dm), free(dt), free(wm), free(bw);
  qeff_request_free(req);
  qeff_program_free(program);
  qeff_options_free(o);
  free(ids);
  return 0;
}
