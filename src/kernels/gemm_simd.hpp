// The SIMD microkernel shared by gemm_avx2.cpp and gemm_avx512.cpp: one
// template over a vector-traits type, so the two ISA files hold only their
// intrinsics (loads, broadcast, FMA) and the tile shape. Include it only from
// those files: each instantiation is compiled with its file's -m flags, and
// the traits types (defined in anonymous namespaces there) keep the
// instantiations of the two files distinct symbols.
//
// Traits V provide: type vec; width (floats per vec, dividing 16); zero();
// load(const float *); load(const uint16_t *) (bf16 -> f32, exact);
// load(const F16Bits *) (f16 -> f32, exact);
// broadcast(const float *); fma(a, b, c) = a * b + c rounded once; add; store;
// kBf16PairLoads, and where true load_bf16_pair(p, lo, hi): a vec of width 16
// from each of the bf16 rows p[0..15] (lo) and p[16..31] (hi), exact.
#pragma once

#include <cstdint>
#include <type_traits>

#include "kernels/gemm_internal.hpp"

namespace qeff::kernels::gemm_detail {

// How far ahead of its reads the single-row kernel prefetches each panel.
inline constexpr int64_t kPrefetchBytes = 1024;

template <class V, int MR, int NP, class BT>
struct SimdKernel {
  static constexpr int kPerPanel = 16 / V::width;
  static constexpr int kVecs = NP * kPerPanel;  // vectors per row of the tile

  static void run(const MicroArgs &g) {
    using vec = typename V::vec;
    vec acc[MR][kVecs];
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 16
      for (int v = 0; v < kVecs; ++v) acc[r][v] = V::zero();

    // Locals, so the loop keeps them in registers.
    const BT *b = static_cast<const BT *>(g.b);
    const float *a = g.a;
    const int64_t lda = g.lda, kc = g.kc, panel_stride = g.panel_stride;
    int64_t k = 0;
    // One bf16 row on traits with pair loads: rows k and k + 1 of a panel are
    // one 64-byte line, read by one load and split into two f32 vectors; the
    // sums keep the order below (k, then k + 1, into the same accumulator).
    // Half the instructions per line of the general loop, so the out-of-order
    // window reaches further ahead of the stream. Each panel is prefetched
    // ahead, as in the general loop below.
    if constexpr (MR == 1 && std::is_same_v<BT, uint16_t> && V::kBf16PairLoads) {
      static_assert(kPerPanel == 1);
      for (; k + 2 <= kc; k += 2) {
        const uintptr_t at = reinterpret_cast<uintptr_t>(b + k * 16) + kPrefetchBytes;
#pragma GCC unroll 8
        for (int q = 0; q < NP; ++q)
          __builtin_prefetch(reinterpret_cast<const void *>(at + q * panel_stride * sizeof(BT)), 0, 3);
        const vec a0 = V::broadcast(a + k), a1 = V::broadcast(a + k + 1);
#pragma GCC unroll 8
        for (int q = 0; q < NP; ++q) {
          vec lo, hi;
          V::load_bf16_pair(b + q * panel_stride + k * 16, lo, hi);
          acc[0][q] = V::fma(a0, lo, acc[0][q]);
          acc[0][q] = V::fma(a1, hi, acc[0][q]);
        }
      }
    }
    const bool stream = MR == 1 || g.stream;
    for (; k < kc; ++k) {
      // One row (decode) streams NP panels from memory and reuses nothing:
      // prefetch each panel kPrefetchBytes ahead (the hardware prefetcher
      // alone left the 16-bit decode GEMVs at about 80% of the bandwidth).
      // So do a few rows (MicroArgs::stream): BERT-base 1 x 16 in f32, whose
      // 340 MB of weights pass once, 20.7-21.2 -> 16.4-16.6 ms.
      if (stream) {
        // Integer address arithmetic: the lines past the panel's end are
        // prefetched too (harmless), but a pointer there would be UB.
        const uintptr_t at = reinterpret_cast<uintptr_t>(b + k * 16) + kPrefetchBytes;
#pragma GCC unroll 8
        for (int q = 0; q < NP; ++q)
          __builtin_prefetch(reinterpret_cast<const void *>(at + q * panel_stride * sizeof(BT)), 0, 3);
      }
      vec bv[kVecs];
#pragma GCC unroll 8
      for (int q = 0; q < NP; ++q)
#pragma GCC unroll 4
        for (int v = 0; v < kPerPanel; ++v)
          bv[q * kPerPanel + v] = V::load(b + q * panel_stride + k * 16 + v * V::width);
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const vec av = V::broadcast(a + r * lda + k);
#pragma GCC unroll 16
        for (int v = 0; v < kVecs; ++v) acc[r][v] = V::fma(av, bv[v], acc[r][v]);
      }
    }

    if (g.nr == NP * 16) {
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r)
#pragma GCC unroll 16
        for (int v = 0; v < kVecs; ++v) {
          float *cp = g.c + r * g.ldc + v * V::width;
          V::store(cp, g.accumulate ? V::add(acc[r][v], V::load(cp)) : acc[r][v]);
        }
      return;
    }
    // A partial tile (the last panel of N): spill, then copy the valid columns.
    // (Unrolled like the loops above: any acc[][] indexed at run time would
    // keep the accumulators in memory instead of registers.)
    alignas(64) float tmp[MR][NP * 16];
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 16
      for (int v = 0; v < kVecs; ++v) V::store(&tmp[r][v * V::width], acc[r][v]);
    for (int r = 0; r < MR; ++r) {
      float *cr = g.c + r * g.ldc;
      if (g.accumulate)
        for (int j = 0; j < g.nr; ++j) cr[j] += tmp[r][j];
      else
        for (int j = 0; j < g.nr; ++j) cr[j] = tmp[r][j];
    }
  }
};

// Binds the traits so make_kernel_set sees a Kernel<MR, NP, BT> template.
template <class V>
struct SimdKernels {
  template <int MR, int NP, class BT>
  using type = SimdKernel<V, MR, NP, BT>;
};

}  // namespace qeff::kernels::gemm_detail
