// AVX-512 VNNI int8 GEMM microkernels (i8.panel16x4, gemm.hpp).
//
// vpdpbusd multiplies unsigned by signed bytes and adds each group of 4
// products to an int32 lane: one instruction per quad of k of a 16-column
// panel (the layout's 64-byte quad is exactly its operand). A is signed, so
// the quantizer of this set stores a + 128 (a ^ 0x80, a byte in [1, 255]; the
// padding past K is 128, i.e. zero) and the kernel subtracts
// 128 * colsum[j] (stored with the weights) at the end:
//   sum (a + 128) w - 128 sum w = sum a w.
// vpdpbusd and vpsubd wrap modulo 2^32; the true sum fits in int32 (K is at
// most kGemmI8MaxK), so the wrapped result is exact, and so is every path's:
// the scaling is the one the portable kernel does (bit-identical).
// Tile: 12 rows x 2 panels (24 zmm accumulators, 2 weight vectors, the
// broadcast quad of A); a single row runs 1 x 8 panels.
#include <immintrin.h>

#include "kernels/gemm_avx2_tile.hpp"
#include "kernels/gemm_internal.hpp"
#include "kernels/gemm_vnni.hpp"

namespace qeff::kernels::gemm_detail {
namespace {

template <int MR, int NP>
struct VnniI8Kernel {
  static void run(const I8Args &g) {
    __m512i acc[MR][NP];
    zero_tile(acc);
    const int8_t *b = g.b, *qa = g.qa;
    const int64_t lda = g.lda, kq = g.kq, panel_stride = g.panel_stride;
    for (int64_t q = 0; q < kq; ++q) {
      __m512i w[NP];
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p) w[p] = _mm512_loadu_si512(b + p * panel_stride + q * 64);
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const __m512i a = broadcast_quad(qa + r * lda + q * 4);
#pragma GCC unroll 8
        for (int p = 0; p < NP; ++p) acc[r][p] = dpbusd(acc[r][p], a, w[p]);
      }
    }
    // C = float(acc - 128 colsum) * (a_scale * b_scale).
    __m512i offset[NP];
    __m512 b_scale[NP];
#pragma GCC unroll 8
    for (int p = 0; p < NP; ++p) {
      offset[p] = _mm512_maskz_slli_epi32(kAll, _mm512_loadu_si512(g.b_sum + p * 16), 7);
      b_scale[p] = _mm512_loadu_ps(g.b_scale + p * 16);
    }
    __m512 y[MR][NP];
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512 sa = _mm512_set1_ps(g.a_scale[r]);
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p) {
        const __m512 s = _mm512_mul_ps(sa, b_scale[p]);
        y[r][p] = _mm512_mul_ps(_mm512_maskz_cvtepi32_ps(kAll, _mm512_sub_epi32(acc[r][p], offset[p])), s);
      }
    }
    store_tile(y, g.c, g.ldc, g.nr);
  }
};

}  // namespace

// quantize_i8_span with AVX-512 (16 values per step), bit for bit equal to it:
// the same largest finite magnitude, then round(x * inv) to nearest even,
// clamped to [-127, 127] in float before the conversion.
bool quantize_i8_span_avx512(const float *x, int64_t k, int8_t *qr, float *scale) {
  const __m512 inf = _mm512_set1_ps(__builtin_inff());
  __m512 vmax = _mm512_setzero_ps();
  __mmask16 bad = 0;
  int64_t i = 0;
  for (; i + 16 <= k; i += 16) {
    const __m512 m = _mm512_castsi512_ps(
        _mm512_and_si512(_mm512_castps_si512(_mm512_loadu_ps(x + i)), _mm512_set1_epi32(0x7fffffff)));
    bad |= _mm512_cmp_ps_mask(m, inf, _CMP_NLT_UQ);  // infinity or NaN
    vmax = _mm512_maskz_max_ps(kAll, m, vmax);         // a NaN in m keeps vmax
  }
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, vmax);
  float inv = 0.0f;
  if (!span_scale(lanes, 16, x, i, k, bad != 0, qr, scale, &inv)) return false;
  const __m512 vinv = _mm512_set1_ps(inv), hi = _mm512_set1_ps(127.0f), lo = _mm512_set1_ps(-127.0f);
  for (i = 0; i + 16 <= k; i += 16) {
    const __m512 y = _mm512_maskz_roundscale_ps(kAll, _mm512_mul_ps(_mm512_loadu_ps(x + i), vinv),
                                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m512i v = _mm512_maskz_cvtps_epi32(kAll, _mm512_maskz_max_ps(kAll, _mm512_maskz_min_ps(kAll, y, hi), lo));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(qr + i), _mm512_maskz_cvtepi32_epi8(kAll, v));
  }
  for (; i < k; ++i) qr[i] = quantize_i8(x[i], inv);
  return true;
}

namespace {

// The rows quantized as everywhere else (bit for bit the portable
// quantizer), then offset to unsigned, padding included.
void quantize_rows_offset(const float *a, int64_t lda, int64_t rows, int64_t k, int8_t *q, int64_t ldq,
                          float *scale) {
  quantize_rows<quantize_i8_span_avx512>(a, lda, rows, k, q, ldq, scale);
  const int64_t kpad = (k + 3) / 4 * 4;
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  for (int64_t r = 0; r < rows; ++r) {
    int8_t *qr = q + r * ldq;
    int64_t i = 0;
    for (; i + 64 <= kpad; i += 64)
      _mm512_storeu_si512(qr + i, _mm512_xor_si512(_mm512_loadu_si512(qr + i), flip));
    for (; i < kpad; ++i) qr[i] = static_cast<int8_t>(qr[i] ^ 0x80);
  }
}

}  // namespace

const I8KernelSet &i8_kernels_avx512vnni() {
  static const I8KernelSet s = make_quant_kernel_set<I8KernelSet, VnniI8Kernel, 12, 2, 8>(quantize_rows_offset);
  return s;
}

}  // namespace qeff::kernels::gemm_detail
