/* Cancellation latency (docs/cancellation.md): the time from
 * qeff_cancel_request on the main thread to the return of the cancelled call
 * on a worker thread, for each cancellable call on one model.
 *
 *   cc -O2 -std=c11 -pthread -o cancel_latency benchmarks/cancel_latency.c \
 *      -Iinclude -LBUILD/src -lqeff -Wl,-rpath,BUILD/src
 *   ./cancel_latency MODEL_DIR WORK_DIR [RUNS]
 *
 * For each call it first runs it uncancelled (its duration T), then RUNS times
 * requests cancellation after T*i/(RUNS+1) (i = 1..RUNS) and records the
 * latency of the runs that returned QEFF_E_CANCELLED. Prints a Markdown table
 * with min/median/max. WORK_DIR receives the export and the package. Causal
 * LMs compile with prefill 128 / ctx 256 and generate 64 tokens; encoders
 * compile batch 32 x seq 128 and embed 64 rows. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qeff/qeff.h"

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void check(qeff_status s, const char *what) {
  if (s != QEFF_OK) {
    fprintf(stderr, "%s: %s: %s\n", what, qeff_status_name(s), qeff_last_error_message());
    exit(1);
  }
}

static void sleep_ms(double ms) {
  struct timespec t = {(time_t)(ms / 1e3), (long)((ms - (double)(time_t)(ms / 1e3) * 1e3) * 1e6)};
  nanosleep(&t, NULL);
}

typedef struct {
  const char *name;
  qeff_status (*run)(const qeff_options *o);
} Call;

static const char *g_model_dir, *g_work;
static char g_export_dir[4096], g_package_dir[4096];
static qeff_model *g_model;
static qeff_program *g_program;
static qeff_request *g_request;
static int g_lm;

static qeff_status run_load(const qeff_options *o) {
  qeff_model *m = NULL;
  qeff_status s = qeff_model_load(g_model_dir, o, &m);
  qeff_model_free(m);
  return s;
}

static qeff_status run_compile(const qeff_options *o) {
  qeff_program *p = NULL;
  qeff_status s = qeff_compile(g_model, o, &p);
  qeff_program_free(p);
  return s;
}

static qeff_status run_export(const qeff_options *o) { return qeff_export(g_model, g_export_dir, o); }

static qeff_status run_save(const qeff_options *o) { return qeff_program_save(g_program, g_package_dir, o); }

static qeff_status run_program_load(const qeff_options *o) {
  qeff_program *p = NULL;
  qeff_status s = qeff_program_load(g_package_dir, o, &p);
  qeff_program_free(p);
  return s;
}

static qeff_status run_generate(const qeff_options *o) {
  qeff_result *r = NULL;
  qeff_status s = qeff_generate(g_program, g_request, o, &r);
  qeff_result_free(r);
  return s;
}

typedef struct {
  const Call *call;
  const qeff_options *options;
  qeff_status status;
  double returned_ms;
} Job;

static void *worker(void *arg) {
  Job *j = (Job *)arg;
  j->status = j->call->run(j->options);
  j->returned_ms = now_ms();
  return NULL;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void set(qeff_options *o, const char *k, const char *v) { check(qeff_options_set(o, k, v), k); }

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL_DIR WORK_DIR [RUNS]\n", argv[0]);
    return 2;
  }
  g_model_dir = argv[1];
  g_work = argv[2];
  const int runs = argc > 3 ? atoi(argv[3]) : 7;
  snprintf(g_export_dir, sizeof g_export_dir, "%s/cancel-export", g_work);
  snprintf(g_package_dir, sizeof g_package_dir, "%s/cancel-package", g_work);

  qeff_cancel *token;
  qeff_options *o;
  check(qeff_cancel_create(&token), "qeff_cancel_create");
  check(qeff_options_create(&o), "qeff_options_create");
  check(qeff_options_set_cancel(o, token), "qeff_options_set_cancel");
  set(o, "load.check_tensors", "true");
  set(o, "cache.enabled", "false");
  set(o, "export.overwrite", "true");
  set(o, "package.overwrite", "true");
  set(o, "runtime.threads", "2");
  check(qeff_model_load(g_model_dir, NULL, &g_model), "qeff_model_load");
  qeff_task task;
  check(qeff_model_task(g_model, &task), "qeff_model_task");
  g_lm = task == QEFF_TASK_CAUSAL_LM;
  check(qeff_request_create(&g_request), "qeff_request_create");
  if (g_lm) {
    set(o, "compile.prefill_seq_len", "128");
    set(o, "compile.ctx_len", "256");
    set(o, "generate.max_new_tokens", "64");
    set(o, "generate.ignore_eos", "true");
    int32_t ids[100];
    for (int i = 0; i < 100; ++i) ids[i] = 1000 + 37 * i;
    check(qeff_request_add_tokens(g_request, ids, 100), "qeff_request_add_tokens");
  } else {
    set(o, "compile.batch_size", "32");
    set(o, "compile.seq_len", "128");
    int32_t ids[120];
    for (int i = 0; i < 120; ++i) ids[i] = 1000 + 37 * i;
    for (int r = 0; r < 64; ++r) check(qeff_request_add_tokens(g_request, ids, 120), "qeff_request_add_tokens");
  }
  check(qeff_compile(g_model, o, &g_program), "qeff_compile");

  const Call calls[] = {{"qeff_model_load (load.check_tensors)", run_load},
                        {"qeff_compile", run_compile},
                        {"qeff_export", run_export},
                        {"qeff_program_save", run_save},
                        {"qeff_program_load", run_program_load},
                        {g_lm ? "qeff_generate (64 tokens)" : "qeff_generate (64 rows)", run_generate}};
  printf("| call | uncancelled ms | cancelled / runs | latency ms min | median | max |\n");
  printf("| --- | ---: | ---: | ---: | ---: | ---: |\n");
  for (size_t c = 0; c < sizeof calls / sizeof calls[0]; ++c) {
    check(qeff_cancel_reset(token), "qeff_cancel_reset");
    double t0 = now_ms();
    check(calls[c].run(o), calls[c].name);
    const double full = now_ms() - t0;
    double *lat = calloc((size_t)runs, sizeof(double));
    int n = 0;
    for (int i = 1; i <= runs; ++i) {
      check(qeff_cancel_reset(token), "qeff_cancel_reset");
      Job job = {&calls[c], o, QEFF_OK, 0};
      pthread_t th;
      pthread_create(&th, NULL, worker, &job);
      sleep_ms(full * i / (runs + 1));
      const double requested = now_ms();
      check(qeff_cancel_request(token), "qeff_cancel_request");
      pthread_join(th, NULL);
      if (job.status == QEFF_E_CANCELLED) lat[n++] = job.returned_ms - requested;
      else if (job.status != QEFF_OK) check(job.status, calls[c].name);
    }
    qsort(lat, (size_t)n, sizeof(double), cmp_double);
    if (n > 0)
      printf("| %s | %.1f | %d / %d | %.2f | %.2f | %.2f |\n", calls[c].name, full, n, runs, lat[0], lat[n / 2],
             lat[n - 1]);
    else
      printf("| %s | %.1f | 0 / %d | - | - | - |\n", calls[c].name, full, runs);
    fflush(stdout);
    free(lat);
  }
  check(qeff_cancel_reset(token), "qeff_cancel_reset");
  qeff_request_free(g_request);
  qeff_program_free(g_program);
  qeff_model_free(g_model);
  qeff_options_free(o);
  qeff_cancel_free(token);
  return 0;
}
