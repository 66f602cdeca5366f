#include "kernels/cpu.hpp"

#include <atomic>
#include <cstdlib>
#include <algorithm>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace qeff::kernels {
namespace {

#if defined(__x86_64__) || defined(__i386__)
// CPUID.1:ECX.F16C (clang's __builtin_cpu_supports does not know "f16c";
// its register state is AVX's, which the callers' checks already cover).
bool has_f16c() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C) != 0;
}
#endif

Isa detect() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  // libgcc's cpu model also checks XCR0, so an ISA whose register state the
  // OS does not save is reported as unsupported.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma") &&
      has_f16c()) {
    if (!__builtin_cpu_supports("avx512vnni")) return Isa::avx512;
    return __builtin_cpu_supports("avx512vbmi") ? Isa::avx512vbmi : Isa::avx512vnni;
  }
  // F16C (f16 weights) came with every AVX2 CPU; checked all the same.
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && has_f16c()) return Isa::avx2;
#endif
  return Isa::portable;
}

Isa env_cap() {
  const char *v = std::getenv("QEFF_ISA");
  if (!v) return Isa::avx512vbmi;
  if (!std::strcmp(v, "portable")) return Isa::portable;
  if (!std::strcmp(v, "avx2")) return Isa::avx2;
  if (!std::strcmp(v, "avx512")) return Isa::avx512;
  if (!std::strcmp(v, "avx512vnni")) return Isa::avx512vnni;
  return Isa::avx512vbmi;
}

std::atomic<int> forced{-1};

}  // namespace

const char *isa_name(Isa isa) {
  switch (isa) {
    case Isa::portable: return "portable";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
    case Isa::avx512vnni: return "avx512vnni";
    case Isa::avx512vbmi: return "avx512vbmi";
  }
  return "unknown";
}

Isa detected_isa() {
  static const Isa isa = detect();
  return isa;
}

bool isa_supported(Isa isa) { return static_cast<int>(isa) <= static_cast<int>(detected_isa()); }

Isa active_isa() {
  static const Isa capped = static_cast<Isa>(std::min(static_cast<int>(detected_isa()), static_cast<int>(env_cap())));
  int f = forced.load(std::memory_order_relaxed);
  return f < 0 ? capped : static_cast<Isa>(std::min(f, static_cast<int>(capped)));
}

void force_isa(Isa isa) { forced.store(static_cast<int>(isa), std::memory_order_relaxed); }
void reset_isa() { forced.store(-1, std::memory_order_relaxed); }

}  // namespace qeff::kernels
