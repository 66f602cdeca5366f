// FUZZ_CHECK: the invariant check of every fuzz target. A broken invariant
// prints where and why, then aborts, which libFuzzer and the replay tests
// report as a crash. Header-only and free of internal headers, so the C-API
// target (linked against libqeff.so only) shares it.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, ...)                                                                   \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "\nfuzz invariant failed at %s:%d: %s\n  ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                                        \
      std::fputc('\n', stderr);                                                                 \
      std::abort();                                                                             \
    }                                                                                           \
  } while (0)
