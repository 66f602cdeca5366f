// AVX2+FMA GEMM microkernels: 6 rows x 16 columns (one packed panel) = 12 ymm
// accumulators + 2 for the panel row + 1 broadcast, within the 16 ymm
// registers; the driver is in gemm.cpp.
#include <immintrin.h>

#include "kernels/gemm_simd.hpp"

namespace qeff::kernels::gemm_detail {
namespace {

struct Avx2 {
  using vec = __m256;
  static constexpr int width = 8;
  static vec zero() { return _mm256_setzero_ps(); }
  static vec load(const float *p) { return _mm256_loadu_ps(p); }
  // bf16 is the upper half of an f32: widen to 32 bits and shift into place.
  static vec load(const uint16_t *p) {
    __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  static vec load(const F16Bits *p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p))); }
  static constexpr bool kBf16PairLoads = false;
  static vec broadcast(const float *p) { return _mm256_broadcast_ss(p); }
  static vec fma(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
  static vec add(vec a, vec b) { return _mm256_add_ps(a, b); }
  static void store(float *p, vec v) { _mm256_storeu_ps(p, v); }
};

}  // namespace

const KernelSet &kernels_avx2() {
  static const KernelSet s = make_kernel_set<SimdKernels<Avx2>::type, 6, 1, 4>();
  return s;
}

}  // namespace qeff::kernels::gemm_detail
