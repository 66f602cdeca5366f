// AVX2 4-bit GEMM microkernels (q4.strip128x32h and q4.strip128x128h,
// gemm.hpp), for the panels of strips and the ones past them (Q4Layout's W);
// A's blocks are quantized by quantize_blocks over the AVX2 span quantizer.
//
// The weights are unsigned nibbles (0..15) and A is int8, which is exactly
// what vpmaddubsw multiplies (unsigned x signed, pairs summed into int16): a
// pair is at most 2 x 15 x 127 = 3810, so the 8 quads of a block add up in
// int16 without overflow (8 x 3810 = 30480 < 32767) and one vpmaddwd with
// ones per block widens the pairs to each column's int32 sum. A 32-byte load
// holds one quad of k of all 16 columns: the low nibbles are columns 0..7, the
// high ones 8..15. Per block and row: the zero-point correction in int32, the
// scale product and one FMA per 8 columns, in the order gemm_internal.hpp
// fixes for every ISA.
#include <immintrin.h>

#include "kernels/gemm_avx2_tile.hpp"
#include "kernels/gemm_internal.hpp"

namespace qeff::kernels::gemm_detail {
namespace {

// 8 f16 scales -> f32 (exact, F16C).
inline __m256 load_f16x8(const uint8_t *p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p)));
}

// 8 u8 zero points -> int32.
inline __m256i load_u8x8(const uint8_t *p) {
  return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(p)));
}

template <class Layout, int MR, int NP>
struct Avx2Q4Kernel {
  static constexpr int kVecs = NP * 2;  // 8 columns per vector

  static void run(const BlockArgs &g) {
    __m256 acc[MR][kVecs];
    zero_tile(acc);
    const __m256i low = _mm256_set1_epi8(0x0f), ones = _mm256_set1_epi16(1);
    const int64_t nstep = Layout::nibble_step(g), mstep = Layout::meta_step(g);
    const uint8_t *meta = g.b + g.meta_offset;
    for (int64_t b = 0; b < g.nb; ++b) {
      __m256i part[MR][kVecs];
      zero_tile(part);
      const int64_t nib = Layout::nibbles_at(b);
#pragma GCC unroll 8
      for (int q = 0; q < 8; ++q) {
        __m256i w[kVecs];
#pragma GCC unroll 4
        for (int p = 0; p < NP; ++p) {
          const __m256i x =
              _mm256_loadu_si256(reinterpret_cast<const __m256i *>(g.b + p * nstep + nib + q * Layout::kQuadStep));
          prefetch_q4_line<Layout, MR, NP>(g, p, b, q);
          w[p * 2] = _mm256_and_si256(x, low);
          w[p * 2 + 1] = _mm256_and_si256(_mm256_srli_epi16(x, 4), low);
        }
#pragma GCC unroll 16
        for (int r = 0; r < MR; ++r) {
          int32_t quad;
          __builtin_memcpy(&quad, g.qa + r * g.lda + b * kQ4Block + q * 4, 4);
          const __m256i a = _mm256_set1_epi32(quad);
#pragma GCC unroll 8
          for (int v = 0; v < kVecs; ++v) part[r][v] = _mm256_add_epi16(part[r][v], _mm256_maddubs_epi16(w[v], a));
        }
      }
      __m256 scale[kVecs];
      __m256i zero[kVecs];
#pragma GCC unroll 4
      for (int p = 0; p < NP; ++p)
#pragma GCC unroll 2
        for (int h = 0; h < 2; ++h) {
          const uint8_t *fields = meta + p * mstep + Layout::meta_at(b);
          scale[p * 2 + h] = load_f16x8(fields + h * 16);
          zero[p * 2 + h] = load_u8x8(fields + Layout::kZeroOffset + h * 8);
        }
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const __m256 sa = _mm256_set1_ps(g.a_scale[r * g.lds + b]);
        const __m256i asum = _mm256_set1_epi32(g.a_sum[r * g.lds + b]);
#pragma GCC unroll 8
        for (int v = 0; v < kVecs; ++v) {
          const __m256i c = _mm256_sub_epi32(_mm256_madd_epi16(part[r][v], ones), _mm256_mullo_epi32(zero[v], asum));
          acc[r][v] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(c), _mm256_mul_ps(scale[v], sa), acc[r][v]);
        }
      }
    }
    store_tile(acc, g.c, g.ldc, g.nr);
  }
};

template <class Layout>
struct Avx2Q4Kernels {
  template <int MR, int NP>
  using type = Avx2Q4Kernel<Layout, MR, NP>;
};

}  // namespace

template <class Layout>
const Q4KernelSet &q4_kernels_avx2() {
  static const Q4KernelSet s = make_quant_kernel_set<Q4KernelSet, Avx2Q4Kernels<Layout>::template type, 4, 1, 2>(
      quantize_blocks<quantize_i8_span_avx2>);
  return s;
}
template const Q4KernelSet &q4_kernels_avx2<Q4G32<1>>();
template const Q4KernelSet &q4_kernels_avx2<Q4G32<kQ4Strip>>();
template const Q4KernelSet &q4_kernels_avx2<Q4G128<1>>();
template const Q4KernelSet &q4_kernels_avx2<Q4G128<kQ4Strip>>();

}  // namespace qeff::kernels::gemm_detail
