// Run-time CPU dispatch. Every kernel with ISA-specific code has a portable
// C++ path and, where it pays, AVX2+FMA, AVX-512, AVX-512 VNNI and VBMI paths
// in files of their own (<kernel>_avx2.cpp, <kernel>_avx512.cpp,
// <kernel>_avx512vnni.cpp, <kernel>_avx512vbmi.cpp, <kernel>_amx.cpp, compiled
// with the matching -m flags; nothing else in the build uses those flags). The
// ISAs form a ladder, each including the one below; a kernel without code of
// its own for a rung runs the best rung below it. The active ISA is the best
// one this CPU (and OS, via XGETBV and Linux's arch_prctl) supports, capped by
// the environment variable QEFF_ISA=portable|avx2|avx512|avx512vnni|avx512vbmi|amx
// and by force_isa() (tests run every path the machine supports and compare it
// with the portable one).
#pragma once

#include <string>

namespace qeff::kernels {

enum class Isa { portable = 0, avx2 = 1, avx512 = 2, avx512vnni = 3, avx512vbmi = 4, amx = 5 };

// Every rung of the ladder, lowest first (tests loop over it).
inline constexpr Isa kAllIsas[] = {Isa::portable, Isa::avx2, Isa::avx512, Isa::avx512vnni, Isa::avx512vbmi, Isa::amx};

const char *isa_name(Isa isa);  // "portable", "avx2", "avx512", "avx512vnni", "avx512vbmi", "amx"
// The best ISA the CPU and OS support (AVX2 needs AVX2+FMA+F16C; AVX-512 needs
// F+BW+DQ+VL with ZMM state enabled; AVX-512 VNNI adds AVX512_VNNI, the int8
// dot product of Cascade Lake, Ice Lake, Sapphire Rapids and Zen 4; AVX-512
// VBMI adds AVX512_VBMI, the byte permutes of all of those but Cascade Lake;
// AMX adds AMX-TILE and AMX-INT8, Sapphire Rapids' tile matrix unit, with the
// tile state enabled in XCR0 and, on Linux, granted to the process by
// arch_prctl(ARCH_REQ_XCOMP_PERM), which detection asks for once unless
// QEFF_ISA caps the ladder below amx).
Isa detected_isa();
bool isa_supported(Isa isa);
// Whether `isa` includes `rung` (the ladder's order).
inline bool isa_at_least(Isa isa, Isa rung) { return static_cast<int>(isa) >= static_cast<int>(rung); }
// detected_isa() capped by QEFF_ISA (read once) and by force_isa().
Isa active_isa();
// Caps the active ISA for the whole process (tests, benchmarks); an ISA the CPU
// lacks is capped to the detected one. Not meant to be called while kernels run.
void force_isa(Isa isa);
// Drops the force_isa() cap.
void reset_isa();

// Tuning by microarchitecture, apart from the ISA ladder: it changes speed,
// never results (the tests run both ways).
struct CpuTuning {
  // The single-row (M = 1 decode) kernels of the sets that have a narrower
  // one (AVX-512: f32/bf16/f16, int8 VNNI and MXFP6 VBMI, 4 panels instead
  // of 8) run it: fewer concurrent read streams. On AMD Zen 5 one core reads
  // 38 GB/s from 4 sequential streams but 31 from 8 (and 22 from 16); there
  // the TinyLlama decode GEMVs on 1 thread stream 6-13% faster with 4 panels
  // (bf16, f16, f32, int8; MXFP6 2.5%), and the decode goes 14.2 -> 16.9
  // tok/s (bf16), 31.9 -> 34.1 (int8). The 4-bit kernels measured no gain
  // (q4 8% slower) and keep 8. On the Xeons measured 4 panels gave no gain,
  // so they keep 8.
  bool narrow_gemv = false;
};
// Detected once (CPUID vendor and family: AMD family 1Ah and later);
// QEFF_NARROW_GEMV=0|1 overrides it, and so does set_cpu_tuning().
CpuTuning cpu_tuning();
// Replaces the tuning for the whole process (tests, benchmarks); not meant to
// be called while kernels run. reset_cpu_tuning() goes back to the detected one.
void set_cpu_tuning(const CpuTuning &t);
void reset_cpu_tuning();

// Tests only: detected_isa() reports at least `isa` from now on (Isa::portable
// undoes it), for a test program that emulates the instructions this CPU
// lacks (tests/support/amx_emulator.hpp traps AMX's). Never call it elsewhere:
// the kernels of an ISA the CPU lacks raise SIGILL.
void emulate_isa(Isa isa);

}  // namespace qeff::kernels
