// The MXFP6 tile loop shared by the AVX-512 kernels (gemm_mx6_avx512vnni.cpp,
// gemm_mx6_avx512vbmi.cpp); include only from files compiled with
// -mavx512vnni. A kernel differs only in its Decoder:
//   Decoder::Weights                       one quad of one panel, decoded
//   template <int U> Weights decode(nib, high) const
//                                          quad U of its pair (nib: its 32
//                                          bytes of low bits; high: the pair's
//                                          32 bytes of high fields)
//   __m512i product(sum, const Weights &, a) const
//                                          sum + the quad's products with A's
//                                          broadcast quad a (vpdpbusd)
//   template <int MR, int NP> void finish(sum, g, b) const
//                                          the block's int32 correction, if any
// Per block: the quads' products into exact int32 block sums, then per block
// and row the scale product and one FMA per panel (add_scaled_block), in the
// order gemm_internal.hpp fixes for every ISA. The next superblock of each
// panel is prefetched a line per quad and panel (prefetch_next_superblock_line).
#pragma once

#include <immintrin.h>

#include "kernels/gemm_avx2_tile.hpp"
#include "kernels/gemm_internal.hpp"
#include "kernels/gemm_vnni.hpp"

namespace qeff::kernels::gemm_detail {

template <int MR, int NP, class Decoder>
__attribute__((always_inline)) inline void mx6_tile(const BlockArgs &g, const Decoder &d) {
  __m512 acc[MR][NP];
  zero_tile(acc);
  for (int64_t b = 0; b < g.nb; ++b) {
    __m512i sum[MR][NP];
    zero_tile(sum);
#pragma GCC unroll 8
    for (int q = 0; q < 8; ++q) {
      typename Decoder::Weights w[NP];
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p) {
        const uint8_t *panel = g.b + p * g.panel_stride;
        prefetch_next_superblock_line<MR, NP, kMx6SuperBytes, 7>(panel, g.panel_stride, b, q);
        const uint8_t *nib = panel + mx6_nibbles_at(b) + q * 32, *high = panel + mx6_high_at(b) + q / 2 * 32;
        w[p] = q % 2 == 0 ? d.template decode<0>(nib, high) : d.template decode<1>(nib, high);
      }
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const __m512i a = broadcast_quad(g.qa + r * g.lda + b * kQ4Block + q * 4);
#pragma GCC unroll 8
        for (int p = 0; p < NP; ++p) sum[r][p] = d.product(sum[r][p], w[p], a);
      }
    }
    d.template finish<MR, NP>(sum, g, b);
    __m512 scale[NP];
#pragma GCC unroll 8
    for (int p = 0; p < NP; ++p) scale[p] = mx6_load_scales(g.b + p * g.panel_stride + mx6_scales_at(b));
    add_scaled_block(acc, sum, scale, g.a_scale, g.lds, b);
  }
  store_tile(acc, g.c, g.ldc, g.nr);
}

}  // namespace qeff::kernels::gemm_detail
