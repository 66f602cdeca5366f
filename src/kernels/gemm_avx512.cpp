// AVX-512 (F only; built with F/BW/DQ/VL) GEMM microkernels: 12 rows x 32
// columns (two packed panels, one zmm each) = 24 zmm accumulators + 2 for the
// panel rows + 1 broadcast, within the 32 zmm registers; the driver is in
// gemm.cpp.
#include <immintrin.h>

#include "kernels/gemm_simd.hpp"

namespace qeff::kernels::gemm_detail {
namespace {

struct Avx512 {
  using vec = __m512;
  static constexpr int width = 16;
  static vec zero() { return _mm512_setzero_ps(); }
  static vec load(const float *p) { return _mm512_loadu_ps(p); }
  // bf16 is the upper half of an f32: widen to 32 bits and shift into place.
  // The zero-masked forms (all lanes enabled) are the same instructions; the
  // unmasked ones trip GCC 12's -Wmaybe-uninitialized on _mm512_undefined_*.
  static vec load(const uint16_t *p) {
    __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
    const __mmask16 all = 0xffff;
    return _mm512_castsi512_ps(_mm512_maskz_slli_epi32(all, _mm512_maskz_cvtepu16_epi32(all, h), 16));
  }
  static vec load(const F16Bits *p) {
    return _mm512_maskz_cvtph_ps(0xffff, _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p)));
  }
  // Two panel rows of bf16 (one 64-byte line): vpermw interleaves them so
  // dword j holds row 0's column j in its low half and row 1's in its high
  // half; a shift and a mask then make the two f32 vectors.
  static constexpr bool kBf16PairLoads = true;
  static void load_bf16_pair(const uint16_t *p, vec &lo, vec &hi) {
    alignas(64) static constexpr uint16_t kInterleave[32] = {0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,
                                                             21, 6, 22, 7, 23, 8,  24, 9,  25, 10, 26,
                                                             11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
    const __m512i x = _mm512_permutexvar_epi16(_mm512_load_si512(kInterleave), _mm512_loadu_si512(p));
    lo = _mm512_castsi512_ps(_mm512_maskz_slli_epi32(0xffff, x, 16));  // maskz: see load(const uint16_t *)
    hi = _mm512_castsi512_ps(_mm512_and_si512(x, _mm512_set1_epi32(static_cast<int>(0xffff0000u))));
  }
  static vec broadcast(const float *p) { return _mm512_set1_ps(*p); }
  static vec fma(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
  static vec add(vec a, vec b) { return _mm512_add_ps(a, b); }
  static void store(float *p, vec v) { _mm512_storeu_ps(p, v); }
};

}  // namespace

const KernelSet &kernels_avx512() {
  static const KernelSet s = make_kernel_set<SimdKernels<Avx512>::type, 12, 2, 8, 4>();
  return s;
}

}  // namespace qeff::kernels::gemm_detail
