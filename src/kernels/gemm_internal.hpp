// The contract between the GEMM driver (gemm.cpp: blocking, partitioning,
// packing, epilogues) and the per-ISA microkernels (gemm.cpp portable,
// gemm_avx2.cpp, gemm_avx512.cpp). Only the microkernels differ per ISA, so the
// driver is written and tested once.
#pragma once

#include <cstdint>
#include <utility>

#include "kernels/gemm.hpp"

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

// ---- int8 (i8.panel16x4, see gemm.hpp)

// One int8 microtile over the whole of K (no K blocking: the int32 sums stay
// in registers): for r < mr, j < nr,
//   C[r][j] = float(sum_{q < kq} sum_{t < 4} qa[r][4q + t] * w[q][j][t]) * (a_scale[r] * b_scale[j])
// where w is np panels starting at b (panel q at b + q * panel_stride bytes,
// quads 64 bytes apart) and qa is row-major int8 with row stride lda bytes,
// zero-padded to 4 kq. The product of the scales is taken first, then one
// multiply, so every ISA rounds identically. Columns past nr are not stored.
struct I8Args {
  int64_t kq = 0;  // quads of K
  const int8_t *qa = nullptr;
  int64_t lda = 0;
  const float *a_scale = nullptr;
  const int8_t *b = nullptr;
  int64_t panel_stride = 0;
  const float *b_scale = nullptr;
  float *c = nullptr;
  int64_t ldc = 0;
  int nr = 0;
};

using I8Kernel = void (*)(const I8Args &);

// Quantizes rows [0, rows) of A (K columns, row stride lda) into q (row stride
// ldq >= 4 ceil(K / 4) bytes, zero-padded) and scale[rows], as gemm.hpp says.
using I8Quantize = void (*)(const float *a, int64_t lda, int64_t rows, int64_t k, int8_t *q, int64_t ldq,
                            float *scale);

struct I8KernelSet {
  int mr_max = 0;
  int np_max = 0;
  I8Kernel tile[kMaxNp][kMaxMr] = {};
  int gemv_np = 0;  // a single row: 1 x gemv_np panels
  I8Kernel gemv = nullptr;
  I8Quantize quantize = nullptr;
};

const I8KernelSet &i8_kernels_portable();
// AVX2 (maddubs with the sign trick; also what AVX-512 CPUs run for now).
const I8KernelSet &i8_kernels_avx2();

// The scale of a row (or weight column) from its largest finite magnitude and
// whether it holds a NaN or an infinity; false when it quantizes to all zeros
// (scale NaN for a non-finite row, 0 for a tiny one), else inv = 1 / scale.
inline bool i8_scale(float amax, bool non_finite, float *scale, float *inv) {
  if (non_finite) {
    *scale = __builtin_nanf("");
    return false;
  }
  if (!(amax >= kGemmI8MinScale)) {
    *scale = 0.0f;
    return false;
  }
  *scale = amax / 127.0f;
  *inv = 127.0f / amax;
  return true;
}

// The scalar quantization of one value, shared by every ISA's tail loop:
// round half to even (the default rounding mode, as cvtps2dq), clamped.
inline int8_t quantize_i8(float x, float inv) {
  float v = __builtin_nearbyintf(x * inv);
  v = v > 127.0f ? 127.0f : (v < -127.0f ? -127.0f : v);
  return static_cast<int8_t>(v);
}

// Fills the tile table of an I8KernelSet from a template Kernel<MR, NP>.
template <template <int, int> class Kernel, int MR, int NP, int GEMV_NP>
I8KernelSet make_i8_kernel_set(I8Quantize quantize) {
  static_assert(MR >= 1 && MR <= kMaxMr && NP >= 1 && NP <= kMaxNp && GEMV_NP >= NP);
  I8KernelSet s;
  s.mr_max = MR;
  s.np_max = NP;
  s.gemv_np = GEMV_NP;
  s.gemv = &Kernel<1, GEMV_NP>::run;
  s.quantize = quantize;
  [&]<int... Ms>(std::integer_sequence<int, Ms...>) {
    ((s.tile[0][Ms] = &Kernel<Ms + 1, 1>::run), ...);
    if constexpr (NP == 2) ((s.tile[1][Ms] = &Kernel<Ms + 1, 2>::run), ...);
  }(std::make_integer_sequence<int, MR>{});
  return s;
}

}  // namespace qeff::kernels::gemm_detail

namespace qeff::kernels {
// Size and packing of the i8.panel16x4 layout (gemm_i8.cpp).
uint64_t gemm_i8_packed_bytes(int64_t k, int64_t n);
void gemm_i8_pack(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n, void *out);
}  // namespace qeff::kernels
