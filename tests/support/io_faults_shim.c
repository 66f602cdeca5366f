/* An LD_PRELOAD shim for tests/api/test_io_faults.cpp (RELIABILITY.md
 * B13.119): read(2), pread(2) and write(2) on regular files fail with EINTR
 * every other call and transfer fewer bytes than asked (at most half, and at
 * most kMaxChunk) on the other calls. Readers and writers that do not retry
 * EINTR, or take a short count for EOF or for the whole transfer, then give
 * different results or errors.
 *
 * Off until the test calls qeff_io_faults_enable(1) (found with dlsym), so the
 * test can compare a run with faults against one without. Only descriptors > 2
 * that refer to regular files are affected (never the pipes and terminals of
 * the test runner's output). qeff_io_faults_count() reports how many faults
 * each call injected, so the test can check that the shim was in the path. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

enum { kRead, kPread, kWrite, kCalls };
static const size_t kMaxChunk = 4093; /* odd: transfers end off any alignment */

static atomic_int enabled;
static atomic_uint ticks[kCalls];
static atomic_ulong faults[kCalls];

void qeff_io_faults_enable(int on) { atomic_store(&enabled, on != 0); }

/* Faults injected so far into call `which` (0 read, 1 pread, 2 write). */
unsigned long qeff_io_faults_count(int which) {
  return which >= 0 && which < kCalls ? atomic_load(&faults[which]) : 0;
}

typedef ssize_t (*read_fn)(int, void *, size_t);
typedef ssize_t (*pread_fn)(int, void *, size_t, off64_t);
typedef ssize_t (*write_fn)(int, const void *, size_t);

/* The next definition of `name` (libc's, or a sanitizer's interceptor);
 * memcpy: ISO C has no cast from an object pointer to a function pointer. */
static void next_symbol(const char *name, void *fn, size_t size) {
  void *p = dlsym(RTLD_NEXT, name);
  memcpy(fn, &p, size);
}

/* 0: pass the call through unchanged; -1: fail it with EINTR; otherwise
 * the shortened byte count to use. */
static ssize_t fault(int which, int fd, size_t count) {
  struct stat st;
  int saved = errno;
  if (!atomic_load(&enabled) || fd <= 2 || count == 0) return 0;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    errno = saved;
    return 0;
  }
  errno = saved;
  atomic_fetch_add(&faults[which], 1);
  if (atomic_fetch_add(&ticks[which], 1) % 2 == 0) return -1;
  size_t n = count > 1 ? count / 2 : 1;
  return (ssize_t)(n < kMaxChunk ? n : kMaxChunk);
}

ssize_t read(int fd, void *buf, size_t count) {
  static read_fn real;
  if (real == NULL) next_symbol("read", &real, sizeof real);
  ssize_t f = fault(kRead, fd, count);
  if (f < 0) {
    errno = EINTR;
    return -1;
  }
  return real(fd, buf, f > 0 ? (size_t)f : count);
}

/* pread is pread64 on LP64 glibc (the symbol libqeff imports). */
ssize_t pread64(int fd, void *buf, size_t count, off64_t offset) {
  static pread_fn real;
  if (real == NULL) next_symbol("pread64", &real, sizeof real);
  ssize_t f = fault(kPread, fd, count);
  if (f < 0) {
    errno = EINTR;
    return -1;
  }
  return real(fd, buf, f > 0 ? (size_t)f : count, offset);
}

ssize_t write(int fd, const void *buf, size_t count) {
  static write_fn real;
  if (real == NULL) next_symbol("write", &real, sizeof real);
  ssize_t f = fault(kWrite, fd, count);
  if (f < 0) {
    errno = EINTR;
    return -1;
  }
  return real(fd, buf, f > 0 ? (size_t)f : count);
}
