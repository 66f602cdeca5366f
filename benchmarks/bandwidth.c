/* Memory read bandwidth, like STREAM's "sum" kernel (driven by run_lm.py; runs alone too).
 *
 *   bandwidth THREADS [--mib N] [--rounds N] [--thp]
 *
 *   cc -O3 -march=native -std=c11 -pthread benchmarks/bandwidth.c -o /tmp/bw && /tmp/bw 2
 *
 * Allocates one buffer of N MiB (default 1024: well above the last-level
 * cache), split into THREADS contiguous slices of 64-byte lines. Each thread
 * first-touches its own slice (writes it, so its pages are placed for that
 * thread, and computes the slice's checksum), then every round all threads
 * leave a barrier together and each sums its slice as 64-bit integers (eight
 * independent accumulators, which -O3 -march=native turns into vector adds of
 * full-width loads). The sums are published (written to a shared array and
 * compared with the checksums: a round that reads wrong data is an error), so
 * the compiler cannot drop the reads. One untimed warm-up round, then ROUNDS
 * (default 10) timed rounds. A round's time is from the earliest start to the
 * latest end over the threads (every thread starts at the barrier, so this is
 * the wall time of the slowest one); its rate is the buffer's bytes / that
 * time in GB/s (1e9 bytes/s). --thp asks for transparent huge pages
 * (madvise(MADV_HUGEPAGE)); by default the buffer gets the system's default
 * pages, like the runtimes' weight buffers.
 *
 * stdout: one JSON line
 *   {"threads", "bytes", "thp", "rounds": [GB/s per round], "best", "median"}
 * progress (one line per round) on stderr. Exit status 2 on bad arguments,
 * 1 on any failure.
 */
#define _GNU_SOURCE /* madvise, MADV_HUGEPAGE; sysconf(_SC_LEVEL3_CACHE_SIZE) on glibc */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define LINE_WORDS 8 /* uint64 per 64-byte cache line */
#define MAX_THREADS 1024
#define MAX_ROUNDS 100000

static const char *usage =
    "usage: bandwidth THREADS [--mib N] [--rounds N] [--thp]\n"
    "  THREADS: reading threads (1..1024); --mib: buffer size in MiB (default 1024, at least 1 MiB per thread);\n"
    "  --rounds: timed rounds (default 10); --thp: madvise(MADV_HUGEPAGE) the buffer\n";

typedef struct {
  pthread_barrier_t *barrier;
  uint64_t *base;   /* the thread's slice */
  size_t words;     /* its length in uint64 (a multiple of LINE_WORDS) */
  size_t first;     /* index of its first word in the whole buffer */
  int rounds;       /* timed rounds (+ 1 warm-up) */
  uint64_t expect;  /* checksum computed while first-touching */
  double *start, *end; /* per round: monotonic seconds */
  volatile uint64_t *published; /* per round: the sum */
  int bad;          /* rounds whose sum differed from expect */
} slice_t;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t value(size_t i) { return (uint64_t)i * UINT64_C(0x9E3779B97F4A7C15) + 1; }

/* The kernel: the sum of n words (n a multiple of LINE_WORDS), eight accumulators. */
static uint64_t sum_words(const uint64_t *restrict p, size_t n) {
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
  for (size_t i = 0; i < n; i += LINE_WORDS) {
    s0 += p[i + 0];
    s1 += p[i + 1];
    s2 += p[i + 2];
    s3 += p[i + 3];
    s4 += p[i + 4];
    s5 += p[i + 5];
    s6 += p[i + 6];
    s7 += p[i + 7];
  }
  return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
}

static int barrier_wait(pthread_barrier_t *b) {
  int rc = pthread_barrier_wait(b);
  return rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD ? 0 : rc;
}

static void *reader(void *arg) {
  slice_t *s = arg;
  uint64_t expect = 0;
  for (size_t i = 0; i < s->words; ++i) { /* first touch, by the thread that will read it */
    const uint64_t v = value(s->first + i);
    s->base[i] = v;
    expect += v;
  }
  s->expect = expect;
  for (int r = 0; r <= s->rounds; ++r) { /* round 0: warm-up */
    if (barrier_wait(s->barrier) != 0) {
      s->bad = -1;
      return NULL;
    }
    const double t0 = now_s();
    const uint64_t sum = sum_words(s->base, s->words);
    const double t1 = now_s();
    s->published[r] = sum;
    s->start[r] = t0;
    s->end[r] = t1;
    if (sum != expect) s->bad++;
  }
  return NULL;
}

static int parse_long(const char *text, long lo, long hi, long *out) {
  char *end = NULL;
  errno = 0;
  const long v = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

static int bad_usage(void) {
  fputs(usage, stderr);
  return 2;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  long threads = -1, mib = 1024, rounds = 10;
  int thp = 0;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (strcmp(a, "--mib") == 0 && i + 1 < argc) {
      if (parse_long(argv[++i], 1, 1L << 20, &mib) != 0) return bad_usage();
    } else if (strcmp(a, "--rounds") == 0 && i + 1 < argc) {
      if (parse_long(argv[++i], 1, MAX_ROUNDS, &rounds) != 0) return bad_usage();
    } else if (strcmp(a, "--thp") == 0) {
      thp = 1;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage, stdout);
      return 0;
    } else if (threads < 0 && a[0] != '-') {
      if (parse_long(a, 1, MAX_THREADS, &threads) != 0) return bad_usage();
    } else {
      return bad_usage();
    }
  }
  if (threads < 0 || mib < threads) return bad_usage();

  /* Slices of whole cache lines; the last thread also takes what the division leaves. */
  const size_t bytes_req = (size_t)mib << 20;
  const size_t lines = bytes_req / 64;
  const size_t per = lines / (size_t)threads;
  const size_t words = lines * LINE_WORDS;
  const size_t bytes = words * sizeof(uint64_t);
#ifdef _SC_LEVEL3_CACHE_SIZE
  const long llc = sysconf(_SC_LEVEL3_CACHE_SIZE);
  if (llc > 0 && (double)bytes < 4.0 * (double)llc)
    fprintf(stderr, "bandwidth: warning: the buffer (%zu MiB) is less than 4 x the L3 cache (%ld KiB): "
                    "part of it may be read from the cache\n", bytes >> 20, llc >> 10);
#endif

  uint64_t *buf = NULL;
  int rc = posix_memalign((void **)&buf, 2u << 20, bytes);
  if (rc != 0) {
    fprintf(stderr, "bandwidth: cannot allocate %zu bytes: %s\n", bytes, strerror(rc));
    return 1;
  }
  if (thp) {
#ifdef MADV_HUGEPAGE
    if (madvise(buf, bytes, MADV_HUGEPAGE) != 0)
      fprintf(stderr, "bandwidth: warning: madvise(MADV_HUGEPAGE): %s\n", strerror(errno));
#else
    fprintf(stderr, "bandwidth: warning: no MADV_HUGEPAGE on this system; --thp ignored\n");
#endif
  }

  const int nr = (int)rounds + 1; /* + warm-up */
  slice_t *sl = calloc((size_t)threads, sizeof *sl);
  pthread_t *tid = calloc((size_t)threads, sizeof *tid);
  double *start = calloc((size_t)threads * (size_t)nr, sizeof *start);
  double *end = calloc((size_t)threads * (size_t)nr, sizeof *end);
  uint64_t *published = calloc((size_t)threads * (size_t)nr, sizeof *published);
  double *gbs = calloc((size_t)nr, sizeof *gbs), *sorted = calloc((size_t)nr, sizeof *sorted);
  if (!sl || !tid || !start || !end || !published || !gbs || !sorted) {
    fprintf(stderr, "bandwidth: out of memory\n");
    return 1;
  }
  pthread_barrier_t barrier;
  if ((rc = pthread_barrier_init(&barrier, NULL, (unsigned)threads)) != 0) {
    fprintf(stderr, "bandwidth: pthread_barrier_init: %s\n", strerror(rc));
    return 1;
  }
  for (long t = 0; t < threads; ++t) {
    const size_t first_line = (size_t)t * per;
    const size_t n_lines = t == threads - 1 ? lines - first_line : per;
    sl[t] = (slice_t){.barrier = &barrier, .base = buf + first_line * LINE_WORDS, .words = n_lines * LINE_WORDS,
                      .first = first_line * LINE_WORDS, .rounds = (int)rounds, .start = start + (size_t)t * nr,
                      .end = end + (size_t)t * nr, .published = published + (size_t)t * nr};
    if ((rc = pthread_create(&tid[t], NULL, reader, &sl[t])) != 0) {
      /* The barrier waits for THREADS threads: without all of them nobody gets past it. */
      fprintf(stderr, "bandwidth: pthread_create (thread %ld of %ld): %s\n", t + 1, threads, strerror(rc));
      return 1;
    }
  }
  int failed = 0;
  for (long t = 0; t < threads; ++t) {
    if ((rc = pthread_join(tid[t], NULL)) != 0) {
      fprintf(stderr, "bandwidth: pthread_join: %s\n", strerror(rc));
      return 1;
    }
    if (sl[t].bad < 0) {
      fprintf(stderr, "bandwidth: thread %ld: pthread_barrier_wait failed\n", t + 1);
      failed = 1;
    } else if (sl[t].bad > 0) {
      fprintf(stderr, "bandwidth: thread %ld: %d round(s) summed to a wrong value\n", t + 1, sl[t].bad);
      failed = 1;
    }
  }
  if (failed) return 1;

  uint64_t checksum = 0;
  for (long t = 0; t < threads; ++t) checksum += published[(size_t)t * nr + (size_t)nr - 1];
  for (int r = 0; r < nr; ++r) {
    double t0 = start[r], t1 = end[r];
    for (long t = 1; t < threads; ++t) {
      if (start[(size_t)t * nr + r] < t0) t0 = start[(size_t)t * nr + r];
      if (end[(size_t)t * nr + r] > t1) t1 = end[(size_t)t * nr + r];
    }
    gbs[r] = t1 > t0 ? (double)bytes / (t1 - t0) / 1e9 : 0.0;
    fprintf(stderr, "bandwidth: %s %d: %.3f ms, %.2f GB/s\n", r ? "round" : "warm-up", r, (t1 - t0) * 1e3, gbs[r]);
  }
  memcpy(sorted, gbs + 1, (size_t)rounds * sizeof *sorted);
  qsort(sorted, (size_t)rounds, sizeof *sorted, cmp_double);
  const double best = sorted[rounds - 1];
  const double median = rounds % 2 ? sorted[rounds / 2] : (sorted[rounds / 2 - 1] + sorted[rounds / 2]) / 2;

  printf("{\"threads\": %ld, \"bytes\": %zu, \"thp\": %s, \"checksum\": %llu, \"rounds\": [", threads, bytes,
         thp ? "true" : "false", (unsigned long long)checksum);
  for (int r = 1; r < nr; ++r) printf("%s%.3f", r > 1 ? ", " : "", gbs[r]);
  printf("], \"best\": %.3f, \"median\": %.3f}\n", best, median);
  if (fflush(stdout) != 0) return 1;

  pthread_barrier_destroy(&barrier);
  free(sl), free(tid), free(start), free(end), free(published), free(gbs), free(sorted);
  free(buf);
  return 0;
}
