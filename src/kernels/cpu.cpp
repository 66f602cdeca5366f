#include "kernels/cpu.hpp"

#include <atomic>
#include <cstdlib>
#include <algorithm>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__x86_64__) && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
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

Isa env_cap() {
  const char *v = std::getenv("QEFF_ISA");
  if (!v) return Isa::amx;
  if (!std::strcmp(v, "portable")) return Isa::portable;
  if (!std::strcmp(v, "avx2")) return Isa::avx2;
  if (!std::strcmp(v, "avx512")) return Isa::avx512;
  if (!std::strcmp(v, "avx512vnni")) return Isa::avx512vnni;
  if (!std::strcmp(v, "avx512vbmi")) return Isa::avx512vbmi;
  return Isa::amx;
}

// AMX-TILE and AMX-INT8 (CPUID.(7,0):EDX bits 24, 25), their state enabled
// by the OS (XCR0 bits 17 XTILECFG and 18 XTILEDATA) and, on Linux (5.16+),
// the process's permission to use the tile data (XFD-guarded: without it the
// first tile instruction faults): ARCH_REQ_XCOMP_PERM, then checked with
// ARCH_GET_XCOMP_PERM. Other systems: no AMX.
[[maybe_unused]] bool amx_usable() {
#if defined(__x86_64__) && defined(__linux__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) return false;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(d & (1u << 24)) || !(d & (1u << 25))) return false;
  unsigned lo = 0, hi = 0;
  __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & (3u << 17)) != (3u << 17)) return false;
  constexpr long kArchGetXcompPerm = 0x1022, kArchReqXcompPerm = 0x1023, kXtileData = 18;
  if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXtileData) != 0) return false;
  unsigned long granted = 0;
  return syscall(SYS_arch_prctl, kArchGetXcompPerm, &granted) == 0 && (granted & (1ul << kXtileData)) != 0;
#else
  return false;
#endif
}

Isa detect() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  // libgcc's cpu model also checks XCR0, so an ISA whose register state the
  // OS does not save is reported as unsupported.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma") &&
      has_f16c()) {
    if (!__builtin_cpu_supports("avx512vnni")) return Isa::avx512;
    if (!__builtin_cpu_supports("avx512vbmi")) return Isa::avx512vnni;
    // QEFF_ISA below amx also keeps the process from asking for the tile
    // permission (granted, it adds the 8 KB tile state to every signal frame).
    return env_cap() == Isa::amx && amx_usable() ? Isa::amx : Isa::avx512vbmi;
  }
  // F16C (f16 weights) came with every AVX2 CPU; checked all the same.
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && has_f16c()) return Isa::avx2;
#endif
  return Isa::portable;
}

// AMD family 1Ah (Zen 5) and later: CPUID.0's vendor "AuthenticAMD" and
// CPUID.1's family (base 0Fh plus the extended family).
bool amd_zen5_or_later() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return false;
  char vendor[12];
  std::memcpy(vendor, &b, 4);
  std::memcpy(vendor + 4, &d, 4);
  std::memcpy(vendor + 8, &c, 4);
  if (std::memcmp(vendor, "AuthenticAMD", 12) != 0 || !__get_cpuid(1, &a, &b, &c, &d)) return false;
  unsigned family = (a >> 8) & 0xf;
  if (family == 0xf) family += (a >> 20) & 0xff;
  return family >= 0x1a;
#else
  return false;
#endif
}

CpuTuning detect_tuning() {
  CpuTuning t;
  t.narrow_gemv = amd_zen5_or_later();
  if (const char *v = std::getenv("QEFF_NARROW_GEMV")) {
    if (!std::strcmp(v, "0")) t.narrow_gemv = false;
    if (!std::strcmp(v, "1")) t.narrow_gemv = true;
  }
  return t;
}

std::atomic<int> forced{-1};
std::atomic<int> tuning_narrow_gemv{-1};  // set_cpu_tuning(), or -1
std::atomic<int> emulated{0};  // emulate_isa()

}  // namespace

const char *isa_name(Isa isa) {
  switch (isa) {
    case Isa::portable: return "portable";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
    case Isa::avx512vnni: return "avx512vnni";
    case Isa::avx512vbmi: return "avx512vbmi";
    case Isa::amx: return "amx";
  }
  return "unknown";
}

Isa detected_isa() {
  static const Isa isa = detect();
  return static_cast<Isa>(std::max(static_cast<int>(isa), emulated.load(std::memory_order_relaxed)));
}

bool isa_supported(Isa isa) { return static_cast<int>(isa) <= static_cast<int>(detected_isa()); }

Isa active_isa() {
  static const int cap = static_cast<int>(env_cap());
  const int capped = std::min(static_cast<int>(detected_isa()), cap);
  const int f = forced.load(std::memory_order_relaxed);
  return static_cast<Isa>(f < 0 ? capped : std::min(f, capped));
}

void force_isa(Isa isa) { forced.store(static_cast<int>(isa), std::memory_order_relaxed); }
void reset_isa() { forced.store(-1, std::memory_order_relaxed); }
CpuTuning cpu_tuning() {
  static const CpuTuning detected = detect_tuning();
  CpuTuning t = detected;
  const int narrow = tuning_narrow_gemv.load(std::memory_order_relaxed);
  if (narrow >= 0) t.narrow_gemv = narrow != 0;
  return t;
}

void set_cpu_tuning(const CpuTuning &t) {
  tuning_narrow_gemv.store(t.narrow_gemv ? 1 : 0, std::memory_order_relaxed);
}
void reset_cpu_tuning() { tuning_narrow_gemv.store(-1, std::memory_order_relaxed); }

void emulate_isa(Isa isa) { emulated.store(static_cast<int>(isa), std::memory_order_relaxed); }

}  // namespace qeff::kernels
