// Shared by the quantized kernels (gemm_q4_avx2.cpp, gemm_mx6_avx2.cpp and the
// AVX-512 VNNI ones); include only from files compiled with -mavx2.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "kernels/gemm_internal.hpp"

namespace qeff::kernels::gemm_detail {

// Zeroes a tile of accumulators (f32 or int32 vectors).
template <class T, int MR, int V>
__attribute__((always_inline)) inline void zero_tile(T (&x)[MR][V]) {
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) x[r][v] = T{};
}

// The offset from a panel of what to prefetch while its block `blk` is
// computed: the next superblock, or past the panel's last one the first
// superblock of the panel NP on (panels are contiguous, panel_stride apart),
// which the same thread's next group of NP panels usually reads next (a GEMV's
// column blocks; a guess elsewhere, and harmless). Integer arithmetic: the
// lines may lie past the weights (prefetching them is harmless; a pointer
// there would be UB).
template <int NP, int64_t SuperBytes>
__attribute__((always_inline)) inline uintptr_t next_superblock(const uint8_t *panel, int64_t panel_stride,
                                                                int64_t blk) {
  int64_t at = (blk / 4 + 1) * SuperBytes;
  if (at >= panel_stride) at += (NP - 1) * panel_stride;
  return reinterpret_cast<uintptr_t>(panel) + at;
}

// The hint of a quantized kernel's software prefetch: NTA for a single row
// (decode), whose weights pass once, T0 for tiles of several rows, which
// re-read their panels from L2 for the next row tile. On the Zen 5 NTA
// streamed faster (docs/kernels-quant.md, "Prefetch hints"), likely because a line
// so fetched does not take L2 room, nor go on to the L3, a victim cache of
// the L2s, as it ages out. Measured on the Zen 5 only (AVX-512 kernels).
// As __builtin_prefetch's locality (0: NTA, 3: T0; GCC's _mm_prefetch takes
// an enum that clang does not have).
template <int MR>
inline constexpr int kStreamHint = MR == 1 ? 0 : 3;

// Prefetches the line at `at` (an address held as an integer: it may lie
// past the weights) for reading, with kStreamHint<MR>.
template <int MR>
__attribute__((always_inline)) inline void prefetch_stream_line(uintptr_t at) {
  __builtin_prefetch(reinterpret_cast<const void *>(at), 0, kStreamHint<MR>);
}

// While block `blk` of NP panels is computed, prefetches the cache lines of
// block blk % 4's share of each panel's next superblock (Lines of them; 4 x
// Lines lines cover SuperBytes), one line per quad q < Lines, for the panel at
// `panel`: one row of A leaves the hardware prefetcher behind. Every block
// kernel issues its lines between the quads' work, a line after each panel's
// load, not all NP x Lines at the block's start, where the burst fills the
// line-fill buffers and stalls the loads behind it: on the Xeon the MXFP6
// decode GEMVs streamed 4% faster so (the 4-bit ones the same), on the Zen 5
// the 4-bit ones 15% faster with one thread (bench_gemv 3 1 q4g128: 27-28 ->
// 31-32 GB/s; the same with two; the AVX2 kernels, compute-bound, the same).
// The hint is kStreamHint<MR>, MR the kernel's rows.
template <int MR, int NP, int64_t SuperBytes, int Lines>
__attribute__((always_inline)) inline void prefetch_next_superblock_line(const uint8_t *panel, int64_t panel_stride,
                                                                        int64_t blk, int q) {
  static_assert(4 * Lines * 64 >= SuperBytes && Lines <= 8);
  if (q >= Lines) return;
  const uintptr_t at = next_superblock<NP, SuperBytes>(panel, panel_stride, blk) + ((blk % 4) * Lines + q) * 64;
  prefetch_stream_line<MR>(at);
}

// The 4-bit kernels' prefetch for their panel p while block blk is computed:
// a W = 1 layout's as above; in a strip, the line of p's quad q
// Layout::kPrefetchBytes on (the same place 3 groups on with groups of 32,
// one with 128; past the strip's end into the next strip, which follows
// it), for even p only (lanes 2 i and 2 i + 1 share a line), and at a
// group's first block, in the odd p's slots, the lines of the fields of the
// group as far on (lane l0's strip taken as lane 0's, as in the single-row
// kernel). Hint kStreamHint<MR>; a single row with g.far_prefetch also
// prefetches each of those lines that much further on into L2 (T2).
template <class Layout, int MR, int NP>
__attribute__((always_inline)) inline void prefetch_q4_line(const BlockArgs &g, int p, int64_t blk, int q) {
  if constexpr (Layout::kWidth == 1) {
    prefetch_next_superblock_line<MR, NP, Layout::kSuperBytes, 5>(g.b + p * g.panel_stride, g.panel_stride, blk, q);
  } else {
    const uintptr_t next = reinterpret_cast<uintptr_t>(g.b) + Layout::kPrefetchBytes;
    uintptr_t at = 0;
    if (p % 2 == 0)
      at = next + p * 32 + Layout::nibbles_at(blk) + q * Layout::kQuadStep;
    else if (blk % (Layout::kGroup / 32) == 0 && q * (NP / 2) + p / 2 < Layout::kFieldBytes / 64)
      at = next + Layout::meta_at(blk) + (q * (NP / 2) + p / 2) * 64;
    else
      return;
    prefetch_stream_line<MR>(at);
    if (MR == 1 && g.far_prefetch != 0) __builtin_prefetch(reinterpret_cast<const void *>(at + g.far_prefetch), 0, 1);
  }
}

// Stores an MR x V tile of f32 vectors (__m256, or __m512 in AVX-512 files)
// at c (row stride ldc), only its first nr columns: a full tile directly, a
// partial one through a spill.
template <class T, int MR, int V>
__attribute__((always_inline)) inline void store_tile(const T (&acc)[MR][V], float *c, int64_t ldc, int nr) {
  constexpr int kWidth = sizeof(T) / sizeof(float);
  const bool full = nr == V * kWidth;
  alignas(64) float tmp[MR][V * kWidth];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      float *to = full ? c + r * ldc + v * kWidth : &tmp[r][v * kWidth];
      if constexpr (kWidth == 16)
        _mm512_storeu_ps(to, acc[r][v]);
      else
        _mm256_storeu_ps(to, acc[r][v]);
    }
  if (!full)
    for (int r = 0; r < MR; ++r)
      for (int j = 0; j < nr; ++j) c[r * ldc + j] = tmp[r][j];
}

}  // namespace qeff::kernels::gemm_detail
