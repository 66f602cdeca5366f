// The contract between the GEMM driver (gemm.cpp: blocking, partitioning,
// packing, epilogues) and the per-ISA microkernels (gemm.cpp portable,
// gemm_avx2.cpp, gemm_avx512.cpp). Only the microkernels differ per ISA, so the
// driver is written and tested once.
#pragma once

#include <cstdint>
#include <utility>

namespace qeff::kernels::gemm_detail {

// One microtile: C[0..mr) x [0..nr) (=|+=) A[0..mr) x [0..kc) * B, where B is
// np panels of 16 columns starting at row k0 (b points at that row of the
// first panel; panel q starts at b + q * panel_stride elements, rows 16
// elements apart). A is row-major with row stride lda (already offset to k0).
// mr <= MR and nr <= np * 16 of the kernel set; padded panel columns past nr
// are computed but never stored, so C may end at column nr.
struct MicroArgs {
  int64_t kc = 0;
  const float *a = nullptr;
  int64_t lda = 0;
  const void *b = nullptr;  // float or uint16_t (bf16), per the kernel
  int64_t panel_stride = 0;
  float *c = nullptr;
  int64_t ldc = 0;
  int nr = 0;
  bool accumulate = false;  // add to C instead of overwriting it
};

using MicroKernel = void (*)(const MicroArgs &);

inline constexpr int kMaxMr = 16;
inline constexpr int kMaxNp = 2;

// The kernels of one ISA: mr x (np panels) tiles, indexed [np - 1][mr - 1]
// for every mr in 1..mr_max and np in 1..np_max.
//
// A single row (M = 1 decode) would leave one FMA chain per vector waiting on
// the FMA latency, so it gets a wide kernel of its own: 1 row x gemv_np
// panels. Every kernel sums each output over k in the same order, so a row's
// result does not depend on which kernel computed it.
struct KernelSet {
  int mr_max = 0;
  int np_max = 0;
  MicroKernel f32[kMaxNp][kMaxMr] = {};
  MicroKernel bf16[kMaxNp][kMaxMr] = {};
  int gemv_np = 0;
  MicroKernel gemv_f32 = nullptr;
  MicroKernel gemv_bf16 = nullptr;
};

// Built once per ISA; the AVX2/AVX-512 sets live in their own libraries and
// may only be called when kernels::isa_supported() says so.
const KernelSet &kernels_portable();
const KernelSet &kernels_avx2();
const KernelSet &kernels_avx512();

// Fills a KernelSet from a template Kernel<MR, NP, BT> (BT = float or
// uint16_t): shared by every ISA file so the tables are built one way.
template <template <int, int, class> class Kernel, int NP, int... Ms>
void fill_kernels(KernelSet &s, std::integer_sequence<int, Ms...>) {
  ((s.f32[NP - 1][Ms] = &Kernel<Ms + 1, NP, float>::run,
    s.bf16[NP - 1][Ms] = &Kernel<Ms + 1, NP, uint16_t>::run),
   ...);
}

template <template <int, int, class> class Kernel, int MR, int NP, int GEMV_NP>
KernelSet make_kernel_set() {
  static_assert(MR >= 1 && MR <= kMaxMr && NP >= 1 && NP <= kMaxNp && GEMV_NP >= NP);
  KernelSet s;
  s.mr_max = MR;
  s.np_max = NP;
  s.gemv_np = GEMV_NP;
  s.gemv_f32 = &Kernel<1, GEMV_NP, float>::run;
  s.gemv_bf16 = &Kernel<1, GEMV_NP, uint16_t>::run;
  fill_kernels<Kernel, 1>(s, std::make_integer_sequence<int, MR>{});
  if constexpr (NP == 2) fill_kernels<Kernel, 2>(s, std::make_integer_sequence<int, MR>{});
  return s;
}

}  // namespace qeff::kernels::gemm_detail
