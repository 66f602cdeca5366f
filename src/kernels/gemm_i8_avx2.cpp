// AVX2 int8 GEMM microkernels (i8.panel16x4, gemm.hpp) and row quantization.
//
// AVX2 has no signed x signed byte product, only vpmaddubsw (unsigned x
// signed, pairs summed into saturating int16). With both operands in
// [-127, 127], a * w = |a| * (w with a's sign) and a pair sums to at most
// 2 * 127 * 127 = 32258 < 32767: never saturates, so the int32 sums are exact
// (vpmaddwd against ones widens each pair of pairs, i.e. the 4 k of a quad).
// Tile: 4 rows x 16 columns (8 int32 accumulators, 2 weight vectors, the
// broadcast quad of A and its magnitude, 2 temporaries).
#include <immintrin.h>

#include "kernels/gemm_internal.hpp"

namespace qeff::kernels::gemm_detail {
namespace {

template <int MR, int NP>
struct Avx2I8Kernel {
  static constexpr int kVecs = NP * 2;  // 8 columns x 4 bytes per vector

  static void run(const I8Args &g) {
    __m256i acc[MR][kVecs];
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 8
      for (int v = 0; v < kVecs; ++v) acc[r][v] = _mm256_setzero_si256();
    const __m256i ones = _mm256_set1_epi16(1);
    const int8_t *b = g.b, *qa = g.qa;
    const int64_t lda = g.lda, kq = g.kq, panel_stride = g.panel_stride;
    for (int64_t q = 0; q < kq; ++q) {
      __m256i w[kVecs];
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p)
#pragma GCC unroll 2
        for (int h = 0; h < 2; ++h)
          w[p * 2 + h] = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b + p * panel_stride + q * 64 + h * 32));
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        int32_t quad;
        __builtin_memcpy(&quad, qa + r * lda + q * 4, 4);
        const __m256i a = _mm256_set1_epi32(quad);
        const __m256i mag = _mm256_abs_epi8(a);
#pragma GCC unroll 8
        for (int v = 0; v < kVecs; ++v) {
          const __m256i pairs = _mm256_maddubs_epi16(mag, _mm256_sign_epi8(w[v], a));
          acc[r][v] = _mm256_add_epi32(acc[r][v], _mm256_madd_epi16(pairs, ones));
        }
      }
    }
    // C = float(acc) * (a_scale * b_scale); partial tiles through a buffer.
    alignas(32) float tmp[MR][kVecs * 8];
    const bool full = g.nr == kVecs * 8;
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m256 sa = _mm256_set1_ps(g.a_scale[r]);
#pragma GCC unroll 8
      for (int v = 0; v < kVecs; ++v) {
        const __m256 s = _mm256_mul_ps(sa, _mm256_loadu_ps(g.b_scale + v * 8));
        const __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(acc[r][v]), s);
        _mm256_storeu_ps(full ? g.c + r * g.ldc + v * 8 : &tmp[r][v * 8], y);
      }
    }
    if (!full)
      for (int r = 0; r < MR; ++r)
        for (int j = 0; j < g.nr; ++j) g.c[r * g.ldc + j] = tmp[r][j];
  }
};

// Sign of the float bits cleared.
inline __m256 abs_ps(__m256 x) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x); }

}  // namespace

bool quantize_i8_span_avx2(const float *x, int64_t k, int8_t *qr, float *scale) {
  const __m256 inf = _mm256_set1_ps(__builtin_inff());
  // Largest finite magnitude; |x| >= inf (or unordered: NaN) marks a non-finite value.
  __m256 vmax = _mm256_setzero_ps(), bad = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= k; i += 8) {
    const __m256 m = abs_ps(_mm256_loadu_ps(x + i));
    bad = _mm256_or_ps(bad, _mm256_cmp_ps(m, inf, _CMP_NLT_UQ));
    vmax = _mm256_max_ps(m, vmax);  // a NaN in m keeps vmax
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, vmax);
  float inv = 0.0f;
  if (!span_scale(lanes, 8, x, i, k, _mm256_movemask_ps(bad) != 0, qr, scale, &inv)) return false;
  const __m256 vinv = _mm256_set1_ps(inv);
  const __m256 hi = _mm256_set1_ps(127.0f), lo = _mm256_set1_ps(-127.0f);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  auto round = [&](const float *p) {
    const __m256 y = _mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(p), vinv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    return _mm256_cvtps_epi32(_mm256_max_ps(_mm256_min_ps(y, hi), lo));
  };
  i = 0;
  for (; i + 32 <= k; i += 32) {
    const __m256i w01 = _mm256_packs_epi32(round(x + i), round(x + i + 8));
    const __m256i w23 = _mm256_packs_epi32(round(x + i + 16), round(x + i + 24));
    const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(w01, w23), order);
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(qr + i), bytes);
  }
  for (; i < k; ++i) qr[i] = quantize_i8(x[i], inv);
  return true;
}

const I8KernelSet &i8_kernels_avx2() {
  static const I8KernelSet s =
      make_quant_kernel_set<I8KernelSet, Avx2I8Kernel, 4, 1, 4>(quantize_rows<quantize_i8_span_avx2>);
  return s;
}

}  // namespace qeff::kernels::gemm_detail
