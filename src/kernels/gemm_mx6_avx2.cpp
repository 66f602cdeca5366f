// AVX2 MXFP6 GEMM microkernels (mxfp6.panel16x32, gemm.hpp); A's blocks are
// quantized by quantize_blocks over the AVX2 span quantizer.
//
// Decoding a quad of k for 16 columns: one 32-byte load of the low 4 bits
// (columns 0..7 in the low nibbles, 8..15 in the high ones); one 32-byte load
// of the high 2 bits serves two quads, each byte lined up with its nibble
// byte. The magnitude x 8 is the low 4 bits themselves when exponent bit 1 is
// clear and kMx6HighMagnitude[low] (a vpshufb) when it is set (a vpblendvb on
// that bit shifted into place); the sign bit, shifted to each byte's top, goes
// onto A with vpsignb, so vpmaddubsw multiplies the unsigned magnitude by the
// signed activation.
// A pair is at most 2 x 60 x 127 = 15240, so two quads add up in int16
// before vpmaddwd with ones widens them into the block's int32 sums. Per
// block and row: the scale product and one FMA per 8 columns, in the order
// gemm_internal.hpp fixes for every ISA.
#include <immintrin.h>

#include "kernels/gemm_avx2_tile.hpp"
#include "kernels/gemm_internal.hpp"

namespace qeff::kernels::gemm_detail {
namespace {

// 8 E8M0 scale bytes -> the f32 factors of mx6_scale.
inline __m256 load_scales(const uint8_t *p) {
  const __m256i e = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(p)));
  const __m256i small = _mm256_cmpgt_epi32(_mm256_set1_epi32(4), e);
  const __m256i nan = _mm256_cmpeq_epi32(e, _mm256_set1_epi32(255));
  __m256i bits = _mm256_slli_epi32(_mm256_sub_epi32(e, _mm256_set1_epi32(3)), 23);
  bits = _mm256_or_si256(_mm256_andnot_si256(small, bits), nan);
  return _mm256_castsi256_ps(bits);
}

// The weights of one quad of one panel: magnitudes x 8 and signs (bytes
// < 0 for a negative weight, > 0 otherwise, for vpsignb) of columns 0..7
// (index 0) and 8..15 (index 1). high: the 32 bytes of the quad's pair of
// quads; u: which of the two it is.
struct Quad {
  __m256i mag[2], sign[2];
};

template <int U>
inline Quad decode(const uint8_t *nibbles, __m256i high) {
  const __m256i low4 = _mm256_set1_epi8(0x0f), one = _mm256_set1_epi8(1);
  const __m256i high_mag = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i *>(kMx6HighMagnitude)));
  const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(nibbles));
  const __m256i low[2] = {_mm256_and_si256(x, low4), _mm256_and_si256(_mm256_srli_epi16(x, 4), low4)};
  Quad w;
#pragma GCC unroll 2
  for (int h = 0; h < 2; ++h) {
    // The field of (quad U, half h) is at bits s, s + 1 of each byte; a
    // 16-bit shift by 7 - s puts bit s at bit 7 of the same byte (what
    // vpblendvb reads), by 6 - s the sign bit there (what vpsignb reads;
    // or-ing in bit 0 keeps positive bytes nonzero).
    const int s = U * 4 + h * 2;
    w.mag[h] = _mm256_blendv_epi8(low[h], _mm256_shuffle_epi8(high_mag, low[h]), _mm256_slli_epi16(high, 7 - s));
    w.sign[h] = _mm256_or_si256(_mm256_slli_epi16(high, 6 - s), one);
  }
  return w;
}

template <int MR, int NP>
struct Avx2Mx6Kernel {
  static constexpr int kVecs = NP * 2;  // 8 columns per vector

  static void run(const BlockArgs &g) {
    __m256 acc[MR][kVecs];
    zero_tile(acc);
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t b = 0; b < g.nb; ++b) {
      __m256i sum[MR][kVecs];
      zero_tile(sum);
#pragma GCC unroll 4
      for (int qq = 0; qq < 8; qq += 2) {
        __m256i pair[MR][kVecs];
        __m256i high[NP];
#pragma GCC unroll 4
        for (int p = 0; p < NP; ++p)
          high[p] = _mm256_loadu_si256(
              reinterpret_cast<const __m256i *>(g.b + p * g.panel_stride + mx6_high_at(b) + qq / 2 * 32));
#pragma GCC unroll 2
        for (int q = qq; q < qq + 2; ++q) {
          Quad w[NP];
#pragma GCC unroll 4
          for (int p = 0; p < NP; ++p) {
            const uint8_t *nib = g.b + p * g.panel_stride + mx6_nibbles_at(b) + q * 32;
            prefetch_next_superblock_line<MR, NP, kMx6SuperBytes, 7>(g.b + p * g.panel_stride, g.panel_stride, b, q);
            w[p] = q == qq ? decode<0>(nib, high[p]) : decode<1>(nib, high[p]);
          }
#pragma GCC unroll 16
          for (int r = 0; r < MR; ++r) {
            int32_t quad;
            __builtin_memcpy(&quad, g.qa + r * g.lda + b * kQ4Block + q * 4, 4);
            const __m256i a = _mm256_set1_epi32(quad);
#pragma GCC unroll 8
            for (int v = 0; v < kVecs; ++v) {
              const __m256i prod = _mm256_maddubs_epi16(w[v / 2].mag[v % 2], _mm256_sign_epi8(a, w[v / 2].sign[v % 2]));
              pair[r][v] = q == qq ? prod : _mm256_add_epi16(pair[r][v], prod);
            }
          }
        }
#pragma GCC unroll 16
        for (int r = 0; r < MR; ++r)
#pragma GCC unroll 8
          for (int v = 0; v < kVecs; ++v) sum[r][v] = _mm256_add_epi32(sum[r][v], _mm256_madd_epi16(pair[r][v], ones));
      }
      __m256 scale[kVecs];
#pragma GCC unroll 4
      for (int p = 0; p < NP; ++p)
#pragma GCC unroll 2
        for (int h = 0; h < 2; ++h) scale[p * 2 + h] = load_scales(g.b + p * g.panel_stride + mx6_scales_at(b) + h * 8);
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const __m256 sa = _mm256_set1_ps(g.a_scale[r * g.lds + b]);
#pragma GCC unroll 8
        for (int v = 0; v < kVecs; ++v)
          acc[r][v] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[r][v]), _mm256_mul_ps(scale[v], sa), acc[r][v]);
      }
    }
    store_tile(acc, g.c, g.ldc, g.nr);
  }
};

}  // namespace

const Mx6KernelSet &mx6_kernels_avx2() {
  static const Mx6KernelSet s =
      make_quant_kernel_set<Mx6KernelSet, Avx2Mx6Kernel, 4, 1, 2>(quantize_blocks<quantize_i8_span_avx2>);
  return s;
}

}  // namespace qeff::kernels::gemm_detail
