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

#include "kernels/gemm_mx6_tile.hpp"

namespace qeff::kernels::gemm_detail {
namespace {

// The decoder of mx6_tile: a quad of one panel as magnitudes x 8 in column
// order and the mask of the negative weights' bytes, whose sign goes onto A.
struct SignMaskDecoder {
  struct Weights {
    __m512i mag;
    __mmask64 neg;
  };

  // U: which quad of its pair (the field of quad U, half h is at bits
  // 4 U + 2 h, 4 U + 2 h + 1 of each high byte).
  template <int U>
  __attribute__((always_inline)) Weights decode(const uint8_t *nibbles, const uint8_t *high) const {
    const __m512i high_shift = _mm512_mask_set1_epi16(_mm512_set1_epi16(4 * U), 0xffff0000u, 4 * U + 2);
    const __m512i table = _mm512_maskz_broadcast_i32x4(
        kAll, _mm_loadu_si128(reinterpret_cast<const __m128i *>(kMx6HighMagnitude)));
    const __m512i low = quad_nibbles(nibbles);
    const __m512i fields = _mm512_srlv_epi16(broadcast_halves(high), high_shift);
    const __mmask64 big = _mm512_test_epi8_mask(fields, _mm512_set1_epi8(1));
    Weights w;
    w.neg = _mm512_test_epi8_mask(fields, _mm512_set1_epi8(2));
    w.mag = _mm512_mask_shuffle_epi8(low, big, table, low);
    return w;
  }

  __attribute__((always_inline)) __m512i product(__m512i sum, const Weights &w, __m512i a) const {
    return dpbusd(sum, w.mag, _mm512_mask_sub_epi8(a, w.neg, _mm512_setzero_si512(), a));
  }

  template <int MR, int NP>
  __attribute__((always_inline)) void finish(__m512i (&)[MR][NP], const BlockArgs &, int64_t) const {}
};

template <int MR, int NP>
struct VnniMx6Kernel {
  static void run(const BlockArgs &g) { mx6_tile<MR, NP>(g, SignMaskDecoder{}); }
};

}  // namespace

const Mx6KernelSet &mx6_kernels_avx512vnni() {
  static const Mx6KernelSet s =
      make_quant_kernel_set<Mx6KernelSet, VnniMx6Kernel, 4, 2, 8>(quantize_blocks<quantize_i8_span_avx512>);
  return s;
}

}  // namespace qeff::kernels::gemm_detail
