// AVX-512 VNNI MXFP6 GEMM microkernels (mxfp6.panel16x32, gemm.hpp) for CPUs
// without VBMI (Cascade Lake; gemm_mx6_avx512vbmi.cpp decodes with vpermb);
// A's blocks are quantized by quantize_blocks over the AVX-512 span quantizer.
//
// Decoding a quad of k for 16 columns into one zmm, in column order: its 32
// bytes of low 4 bits as the 4-bit kernel reads its nibbles (quad_nibbles);
// the 32 bytes of high 2 bits of its pair of quads broadcast
// likewise and shifted so that each byte's bit 0 is the element's exponent
// bit 1 and bit 1 its sign. The magnitude x 8 is the low 4 bits where
// exponent bit 1 is clear and kMx6HighMagnitude[low] (vpshufb) where it is
// set; vpdpbusd multiplies it (unsigned, at most 60) by A's quad with the
// weight's sign applied (a masked byte negation; A is in [-127, 127]). The
// block sums are exact in int32; per block and row the scale product and one
// FMA per panel, in the order gemm_internal.hpp fixes for every ISA
// (bit-identical to the portable kernel). Tile 4 rows x 2 panels, decode
// 1 x 8 panels.
#include <immintrin.h>

#include "kernels/gemm_avx2_tile.hpp"
#include "kernels/gemm_internal.hpp"
#include "kernels/gemm_vnni.hpp"

namespace qeff::kernels::gemm_detail {
namespace {

// One quad of one panel: magnitudes x 8 in column order and the mask of the
// negative weights' bytes.
struct Quad {
  __m512i mag;
  __mmask64 neg;
};

// U: which quad of its pair (the field of quad U, half h is at bits
// 4 U + 2 h, 4 U + 2 h + 1 of each high byte).
template <int U>
__attribute__((always_inline)) inline Quad decode(const uint8_t *nibbles, const uint8_t *high) {
  const __m512i high_shift = _mm512_mask_set1_epi16(_mm512_set1_epi16(4 * U), 0xffff0000u, 4 * U + 2);
  const __m512i table = _mm512_maskz_broadcast_i32x4(
      kAll, _mm_loadu_si128(reinterpret_cast<const __m128i *>(kMx6HighMagnitude)));
  const __m512i h = _mm512_maskz_broadcast_i64x4(0xff, _mm256_loadu_si256(reinterpret_cast<const __m256i *>(high)));
  const __m512i low = quad_nibbles(nibbles);
  const __m512i fields = _mm512_srlv_epi16(h, high_shift);
  const __mmask64 big = _mm512_test_epi8_mask(fields, _mm512_set1_epi8(1));
  Quad w;
  w.neg = _mm512_test_epi8_mask(fields, _mm512_set1_epi8(2));
  w.mag = _mm512_mask_shuffle_epi8(low, big, table, low);
  return w;
}

template <int MR, int NP>
struct VnniMx6Kernel {
  static void run(const BlockArgs &g) {
    __m512 acc[MR][NP];
    zero_tile(acc);
    for (int64_t b = 0; b < g.nb; ++b) {
      __m512i sum[MR][NP];
      zero_tile(sum);
#pragma GCC unroll 8
      for (int q = 0; q < 8; ++q) {
        Quad w[NP];
#pragma GCC unroll 8
        for (int p = 0; p < NP; ++p) {
          const uint8_t *panel = g.b + p * g.panel_stride;
          prefetch_next_superblock_line<NP, kMx6SuperBytes, 7>(panel, g.panel_stride, b, q);
          const uint8_t *nib = panel + mx6_nibbles_at(b) + q * 32, *high = panel + mx6_high_at(b) + q / 2 * 32;
          w[p] = q % 2 == 0 ? decode<0>(nib, high) : decode<1>(nib, high);
        }
#pragma GCC unroll 16
        for (int r = 0; r < MR; ++r) {
          const __m512i a = broadcast_quad(g.qa + r * g.lda + b * kQ4Block + q * 4);
#pragma GCC unroll 8
          for (int p = 0; p < NP; ++p)
            sum[r][p] = dpbusd(sum[r][p], w[p].mag, _mm512_mask_sub_epi8(a, w[p].neg, _mm512_setzero_si512(), a));
        }
      }
      __m512 scale[NP];
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p) scale[p] = mx6_load_scales(g.b + p * g.panel_stride + mx6_scales_at(b));
      add_scaled_block(acc, sum, scale, g.a_scale, g.lds, b);
    }
    store_tile(acc, g.c, g.ldc, g.nr);
  }
};

}  // namespace

const Mx6KernelSet &mx6_kernels_avx512vnni() {
  static const Mx6KernelSet s =
      make_quant_kernel_set<Mx6KernelSet, VnniMx6Kernel, 4, 2, 8>(quantize_blocks<quantize_i8_span_avx512>);
  return s;
}

}  // namespace qeff::kernels::gemm_detail
