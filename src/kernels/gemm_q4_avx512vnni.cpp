// AVX-512 VNNI 4-bit GEMM microkernels (q4.strip128x32h and q4.strip128x128h,
// gemm.hpp), for the panels of strips and the ones past them (Q4Layout's W);
// A's blocks are quantized by quantize_blocks over the AVX-512 span quantizer.
//
// The weights are unsigned nibbles and A is int8: vpdpbusd's operands as they
// are. One quad of k of a panel is 32 bytes (columns 0..7 in the low nibbles,
// 8..15 in the high ones); broadcast to both halves of a zmm and shifted by 0
// in the low half and 4 in the high one, then masked to 4 bits, it is the
// quad's 16 columns in column order, so one vpdpbusd per (quad, row, panel)
// adds 4 products into each column's int32 sum, with A's quad broadcast. Per
// block and row: the zero-point correction in int32, the scale product and
// one FMA per panel, in the order gemm_internal.hpp fixes for every ISA
// (bit-identical to the portable kernel). Tile 6 rows x 2 panels (12 int32
// block sums, 12 f32 accumulators, 2 weight vectors, A, constants); a single
// row runs 1 x 8 panels: a whole strip, one sequential stream.
#include <immintrin.h>

#include "kernels/gemm_avx2_tile.hpp"
#include "kernels/gemm_internal.hpp"
#include "kernels/gemm_vnni.hpp"

namespace qeff::kernels::gemm_detail {
namespace {

template <class Layout, int MR, int NP>
struct VnniQ4Kernel {
  static void run(const BlockArgs &g) {
    __m512 acc[MR][NP];
    zero_tile(acc);
    const int64_t nstep = Layout::nibble_step(g), mstep = Layout::meta_step(g);
    const uint8_t *meta = g.b + g.meta_offset;
    for (int64_t b = 0; b < g.nb; ++b) {
      __m512i part[MR][NP];
      zero_tile(part);
      const int64_t nib = Layout::nibbles_at(b);
#pragma GCC unroll 8
      for (int q = 0; q < 8; ++q) {
        __m512i w[NP];
#pragma GCC unroll 8
        for (int p = 0; p < NP; ++p) {
          w[p] = quad_nibbles(g.b + p * nstep + nib + q * Layout::kQuadStep);
          prefetch_q4_line<Layout, MR, NP>(g, p, b, q);
        }
#pragma GCC unroll 16
        for (int r = 0; r < MR; ++r) {
          const __m512i a = broadcast_quad(g.qa + r * g.lda + b * kQ4Block + q * 4);
#pragma GCC unroll 8
          for (int p = 0; p < NP; ++p) part[r][p] = dpbusd(part[r][p], w[p], a);
        }
      }
      __m512 scale[NP];
      __m512i zero[NP];
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p) {
        const uint8_t *fields = meta + p * mstep + Layout::meta_at(b);
        scale[p] = _mm512_maskz_cvtph_ps(kAll, _mm256_loadu_si256(reinterpret_cast<const __m256i *>(fields)));
        zero[p] = _mm512_maskz_cvtepu8_epi32(kAll, _mm_loadu_si128(reinterpret_cast<const __m128i *>(fields + Layout::kZeroOffset)));
      }
      // The zero points: c = sum - zero * sum(a), exact in int32.
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const __m512i asum = _mm512_set1_epi32(g.a_sum[r * g.lds + b]);
#pragma GCC unroll 8
        for (int p = 0; p < NP; ++p) part[r][p] = _mm512_sub_epi32(part[r][p], _mm512_mullo_epi32(zero[p], asum));
      }
      add_scaled_block(acc, part, scale, g.a_scale, g.lds, b);
    }
    store_tile(acc, g.c, g.ldc, g.nr);
  }
};

template <class Layout>
struct VnniQ4Kernels {
  template <int MR, int NP>
  using type = VnniQ4Kernel<Layout, MR, NP>;
};

}  // namespace

template <class Layout>
const Q4KernelSet &q4_kernels_avx512vnni() {
  static const Q4KernelSet s = make_quant_kernel_set<Q4KernelSet, VnniQ4Kernels<Layout>::template type, 6, 2, 8>(
      quantize_blocks<quantize_i8_span_avx512>);
  return s;
}
template const Q4KernelSet &q4_kernels_avx512vnni<Q4G32<1>>();
template const Q4KernelSet &q4_kernels_avx512vnni<Q4G32<kQ4Strip>>();
template const Q4KernelSet &q4_kernels_avx512vnni<Q4G128<1>>();
template const Q4KernelSet &q4_kernels_avx512vnni<Q4G128<kQ4Strip>>();

}  // namespace qeff::kernels::gemm_detail
