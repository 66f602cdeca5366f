// Vector traits and float math shared by the ISA-specific kernel files
// (*_avx2.cpp, *_avx512.cpp). Include it only from files compiled with the
// matching -m flags: each traits struct exists only when its ISA is enabled.
//
// A traits struct V wraps one register width of floats (V::F, V::N lanes) and
// its lane mask (V::M); the math (exp, tanh, erf, ...) and the row kernels
// (kernels/rowops_simd.hpp) are written once as templates over V, so the AVX2
// and AVX-512 paths differ only in these wrappers.
//
// Accuracy against the portable std:: path (measured over every float in
// the ranges of tests/unit/test_nn_kernels.cpp; see docs/kernels.md):
//   exp  <= 2 ulp;  tanh, erf  <= 4 ulp (relative, |y| >= 1e-30);
//   sigmoid, silu, gelu: derived from those, documented per function.
#pragma once

// GCC 12's AVX-512 headers build their "undefined" registers by
// self-initialisation (GCC bug 105593, fixed in 13), which -Wuninitialized
// reports at every inlined use; the state recorded for the header's lines
// silences exactly those.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <cstdint>
#include <limits>

#include "kernels/half.hpp"

namespace qeff::kernels::simd {

#if defined(__AVX2__) && defined(__FMA__)
struct Avx2 {
  using F = __m256;
  using M = __m256;  // all-ones lanes where true
  static constexpr int64_t N = 8;

  static F zero() { return _mm256_setzero_ps(); }
  static F set1(float v) { return _mm256_set1_ps(v); }
  static F load(const float *p) { return _mm256_loadu_ps(p); }
  // 16-bit floats widened exactly (bf16: a shift; f16: F16C).
  static F load(const Bf16Bits *p) {
    return _mm256_castsi256_ps(
        _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p))), 16));
  }
  static F load(const F16Bits *p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p))); }
  // N int8 widened exactly.
  static F load_i8(const int8_t *p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(p))));
  }
  static void store(float *p, F v) { _mm256_storeu_ps(p, v); }
  static __m256i tail(int64_t n) {  // lanes [0, n) set, n < N
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  // Lanes [0, n) from p (no memory touched beyond them), the rest `fill`.
  static F load_part(const float *p, int64_t n, float fill) {
    __m256i m = tail(n);
    return _mm256_blendv_ps(set1(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
  }
  static void store_part(float *p, F v, int64_t n) { _mm256_maskstore_ps(p, tail(n), v); }
  static F keep_part(F v, int64_t n) { return _mm256_and_ps(v, _mm256_castsi256_ps(tail(n))); }

  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F div(F a, F b) { return _mm256_div_ps(a, b); }
  static F fmadd(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }    // a b + c
  static F fnmadd(F a, F b, F c) { return _mm256_fnmadd_ps(a, b, c); }  // c - a b
  // max/min return the second operand when either is NaN (x86 semantics).
  static F max(F a, F b) { return _mm256_max_ps(a, b); }
  static F min(F a, F b) { return _mm256_min_ps(a, b); }
  static F abs(F a) { return _mm256_andnot_ps(set1(-0.0f), a); }
  // |mag| with the sign bit of `sign`.
  static F copysign(F mag, F sign) {
    F s = set1(-0.0f);
    return _mm256_or_ps(_mm256_andnot_ps(s, mag), _mm256_and_ps(s, sign));
  }
  static F round(F a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static F floor(F a) { return _mm256_floor_ps(a); }
  // 2^n for integral n in [-126, 127].
  static F pow2i(F n) {
    __m256i i = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
    return _mm256_castsi256_ps(_mm256_slli_epi32(i, 23));
  }
  // 2^n from k = n + 1.5 * 2^23 (n integral in [-126, 127]): n sits in k's
  // low mantissa bits, so shifting them into the exponent field is enough.
  static F pow2_of_shifted(F k) {
    __m256i e = _mm256_slli_epi32(_mm256_castps_si256(k), 23);
    return _mm256_castsi256_ps(_mm256_add_epi32(e, _mm256_set1_epi32(127 << 23)));
  }
  static M lt(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static M ge(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
  static M is_nan(F a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
  static F select(M m, F a, F b) { return _mm256_blendv_ps(b, a, m); }  // m ? a : b

  static __m128 sum_halves(F v) { return _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1)); }
  static float reduce_add(F v) {
    __m128 s = sum_halves(v);
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
  }
  static float reduce_max(F v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_max_ss(s, _mm_movehdup_ps(s)));
  }
  // out[0..3] = horizontal sums of a, b, c, d (one hadd tree for four dots).
  static void hsum4(F a, F b, F c, F d, float *out) {
    F t = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    _mm_storeu_ps(out, sum_halves(t));
  }
  static bool any_zero(F v) { return _mm256_movemask_ps(_mm256_cmp_ps(v, zero(), _CMP_EQ_OQ)) != 0; }
  // dst[c ldd + r] = src[r lds + c] for r, c < 8: unpack pairs of rows,
  // shuffle 4-row groups, then swap 128-bit halves.
  static void transpose_n(const float *src, int64_t lds, float *dst, int64_t ldd) {
    F r[8], t[8], u[8];
    for (int i = 0; i < 8; ++i) r[i] = load(src + i * lds);
    for (int k = 0; k < 4; ++k) {
      t[2 * k] = _mm256_unpacklo_ps(r[2 * k], r[2 * k + 1]);
      t[2 * k + 1] = _mm256_unpackhi_ps(r[2 * k], r[2 * k + 1]);
    }
    for (int g = 0; g < 2; ++g) {
      u[4 * g] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
      u[4 * g + 1] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
      u[4 * g + 2] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
      u[4 * g + 3] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
    }
    for (int c = 0; c < 4; ++c) {
      store(dst + c * ldd, _mm256_permute2f128_ps(u[c], u[4 + c], 0x20));
      store(dst + (4 + c) * ldd, _mm256_permute2f128_ps(u[c], u[4 + c], 0x31));
    }
  }
  // base[i stride] in lane i < n (n <= N; the rest 0); N stride fits int32.
  static F gather(const float *base, int32_t stride, int64_t n) {
    const __m256i idx = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(stride));
    if (n >= N) return _mm256_i32gather_ps(base, idx, 4);
    return _mm256_mask_i32gather_ps(zero(), base, idx, _mm256_castsi256_ps(tail(n)), 4);
  }
  // Lane i: the sum of a[i]'s lanes (an add tree per vector, as hsum4's).
  static F reduce_n(const F (&a)[8]) {
    const F c0 = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
    const F c1 = _mm256_hadd_ps(_mm256_hadd_ps(a[4], a[5]), _mm256_hadd_ps(a[6], a[7]));
    return _mm256_add_ps(_mm256_permute2f128_ps(c0, c1, 0x20), _mm256_permute2f128_ps(c0, c1, 0x31));
  }
  // Lanes 2 g, 2 g + 1 of v at out + g ld, for g < 4 (a 4 x 2 tile).
  static void store_groups(F v, float *out, int64_t ld) {
    const __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    _mm_storel_pi(reinterpret_cast<__m64 *>(out), lo);
    _mm_storeh_pi(reinterpret_cast<__m64 *>(out + ld), lo);
    _mm_storel_pi(reinterpret_cast<__m64 *>(out + 2 * ld), hi);
    _mm_storeh_pi(reinterpret_cast<__m64 *>(out + 3 * ld), hi);
  }
};
#endif

#if defined(__AVX512F__) && defined(__AVX512DQ__)
struct Avx512 {
  using F = __m512;
  using M = __mmask16;
  static constexpr int64_t N = 16;

  static F zero() { return _mm512_setzero_ps(); }
  static F set1(float v) { return _mm512_set1_ps(v); }
  static F load(const float *p) { return _mm512_loadu_ps(p); }
  static F load(const Bf16Bits *p) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
    return _mm512_castsi512_ps(_mm512_maskz_slli_epi32(0xffff, _mm512_maskz_cvtepu16_epi32(0xffff, h), 16));
  }
  static F load(const F16Bits *p) {
    return _mm512_maskz_cvtph_ps(0xffff, _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p)));
  }
  static F load_i8(const int8_t *p) {
    return _mm512_cvtepi32_ps(_mm512_maskz_cvtepi8_epi32(0xffff, _mm_loadu_si128(reinterpret_cast<const __m128i *>(p))));
  }
  static void store(float *p, F v) { _mm512_storeu_ps(p, v); }
  static M tail(int64_t n) { return static_cast<M>((1u << n) - 1u); }  // n < N
  static F load_part(const float *p, int64_t n, float fill) { return _mm512_mask_loadu_ps(set1(fill), tail(n), p); }
  static void store_part(float *p, F v, int64_t n) { _mm512_mask_storeu_ps(p, tail(n), v); }
  static F keep_part(F v, int64_t n) { return _mm512_maskz_mov_ps(tail(n), v); }

  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F div(F a, F b) { return _mm512_div_ps(a, b); }
  static F fmadd(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F fnmadd(F a, F b, F c) { return _mm512_fnmadd_ps(a, b, c); }
  static F max(F a, F b) { return _mm512_max_ps(a, b); }
  static F min(F a, F b) { return _mm512_min_ps(a, b); }
  static F abs(F a) { return _mm512_andnot_ps(set1(-0.0f), a); }
  static F copysign(F mag, F sign) {
    F s = set1(-0.0f);
    return _mm512_or_ps(_mm512_andnot_ps(s, mag), _mm512_and_ps(s, sign));
  }
  static F round(F a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static F floor(F a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
  static F pow2i(F n) {
    __m512i i = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_slli_epi32(i, 23));
  }
  static F pow2_of_shifted(F k) {  // as Avx2's
    __m512i e = _mm512_slli_epi32(_mm512_castps_si512(k), 23);
    return _mm512_castsi512_ps(_mm512_add_epi32(e, _mm512_set1_epi32(127 << 23)));
  }
  static M lt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static M ge(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
  static M is_nan(F a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
  static F select(M m, F a, F b) { return _mm512_mask_blend_ps(m, b, a); }

  static __m256 sum_halves(F v) {
    return _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  }
  static float reduce_add(F v) { return Avx2::reduce_add(sum_halves(v)); }
  static float reduce_max(F v) {
    return Avx2::reduce_max(_mm256_max_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1)));
  }
  static void hsum4(F a, F b, F c, F d, float *out) {
    Avx2::hsum4(sum_halves(a), sum_halves(b), sum_halves(c), sum_halves(d), out);
  }
  static bool any_zero(F v) { return _mm512_cmp_ps_mask(v, zero(), _CMP_EQ_OQ) != 0; }
  // dst[c ldd + r] = src[r lds + c] for r, c < 16: per 128-bit lane as
  // Avx2's (unpack, shuffle), then the 4 x 4 lanes of each column's four
  // vectors transposed (shuffle_f32x4 twice).
  static void transpose_n(const float *src, int64_t lds, float *dst, int64_t ldd) {
    F r[16], t[16], u[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) r[i] = load(src + i * lds);
#pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) {
      t[2 * k] = _mm512_unpacklo_ps(r[2 * k], r[2 * k + 1]);
      t[2 * k + 1] = _mm512_unpackhi_ps(r[2 * k], r[2 * k + 1]);
    }
#pragma GCC unroll 4
    for (int g = 0; g < 4; ++g) {
      u[4 * g] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
      u[4 * g + 1] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
      u[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
      u[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
    }
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c) {  // u[c + 4 g], lane L: column 4 L + c of rows 4 g..4 g + 3
      const F x0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44), x1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xEE);
      const F y0 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x44), y1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xEE);
      store(dst + c * ldd, _mm512_shuffle_f32x4(x0, y0, 0x88));
      store(dst + (4 + c) * ldd, _mm512_shuffle_f32x4(x0, y0, 0xDD));
      store(dst + (8 + c) * ldd, _mm512_shuffle_f32x4(x1, y1, 0x88));
      store(dst + (12 + c) * ldd, _mm512_shuffle_f32x4(x1, y1, 0xDD));
    }
  }
  // base[i stride] in lane i < n (n <= N; the rest 0); N stride fits int32.
  static F gather(const float *base, int32_t stride, int64_t n) {
    const __m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                           _mm512_set1_epi32(stride));
    if (n >= N) return _mm512_i32gather_ps(idx, base, 4);
    return _mm512_mask_i32gather_ps(zero(), tail(n), idx, base, 4);
  }
  // Lane i: the sum of a[i]'s lanes: pairs of vectors interleaved and added
  // (unpack), then pairs of those (shuffle), then 128-bit quarters twice.
  static F reduce_n(const F (&a)[16]) {
    F b[8], c[4];
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i)
      b[i] = _mm512_add_ps(_mm512_unpacklo_ps(a[2 * i], a[2 * i + 1]), _mm512_unpackhi_ps(a[2 * i], a[2 * i + 1]));
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i)
      c[i] = _mm512_add_ps(_mm512_shuffle_ps(b[2 * i], b[2 * i + 1], 0x44), _mm512_shuffle_ps(b[2 * i], b[2 * i + 1], 0xEE));
    const F d0 = _mm512_add_ps(_mm512_shuffle_f32x4(c[0], c[1], 0x88), _mm512_shuffle_f32x4(c[0], c[1], 0xDD));
    const F d1 = _mm512_add_ps(_mm512_shuffle_f32x4(c[2], c[3], 0x88), _mm512_shuffle_f32x4(c[2], c[3], 0xDD));
    return _mm512_add_ps(_mm512_shuffle_f32x4(d0, d1, 0x88), _mm512_shuffle_f32x4(d0, d1, 0xDD));
  }
  // Lanes 4 g .. 4 g + 3 of v at out + g ld, for g < 4 (a 4 x 4 tile).
  static void store_groups(F v, float *out, int64_t ld) {
    _mm_storeu_ps(out, _mm512_castps512_ps128(v));
    _mm_storeu_ps(out + ld, _mm512_extractf32x4_ps(v, 1));
    _mm_storeu_ps(out + 2 * ld, _mm512_extractf32x4_ps(v, 2));
    _mm_storeu_ps(out + 3 * ld, _mm512_extractf32x4_ps(v, 3));
  }
};
#endif

// ---- float math over V::F --------------------------------------------------

// e^r for |r| <= ln2 / 2 (within a rounding of it): Cephes' expf polynomial,
// shared by every exponential below.
template <class V>
__attribute__((always_inline)) inline typename V::F exp_poly(typename V::F r) {
  using F = typename V::F;
  F p = V::set1(1.9875691500e-4f);
  p = V::fmadd(p, r, V::set1(1.3981999507e-3f));
  p = V::fmadd(p, r, V::set1(8.3334519073e-3f));
  p = V::fmadd(p, r, V::set1(4.1665795894e-2f));
  p = V::fmadd(p, r, V::set1(1.6666665459e-1f));
  p = V::fmadd(p, r, V::set1(5.0000001201e-1f));
  return V::add(V::fmadd(p, V::mul(r, r), r), V::set1(1.0f));
}

// x - n ln2 in two steps (ln2 split into an exact head and a tail).
template <class V>
__attribute__((always_inline)) inline typename V::F exp_reduce(typename V::F x, typename V::F n) {
  return V::fnmadd(n, V::set1(-2.12194440e-4f), V::fnmadd(n, V::set1(0.693359375f), x));
}

// e^x for x in [-87.3, 88] as 2^n e^r: k = x log2(e) + 1.5 * 2^23 holds
// n = round(x log2(e)) in its low mantissa bits (V::pow2_of_shifted).
template <class V>
__attribute__((always_inline)) inline typename V::F exp_normal(typename V::F x) {
  using F = typename V::F;
  const F shift = V::set1(12582912.0f);  // 1.5 * 2^23: adding it rounds to an integer
  F k = V::fmadd(x, V::set1(1.44269504088896341f), shift);
  return V::mul(exp_poly<V>(exp_reduce<V>(x, V::sub(k, shift))), V::pow2_of_shifted(k));
}

// e^x: Cephes' expf polynomial on x - n ln2 (|r| <= ln2/2), scaled by 2^n in
// two steps so that the subnormal results (x down to -104) and the top binade
// (n = 128) come out right; overflow gives +inf, NaN passes through.
template <class V>
__attribute__((always_inline)) inline typename V::F exp(typename V::F x) {
  using F = typename V::F;
  F xc = V::min(V::max(x, V::set1(-104.0f)), V::set1(89.0f));
  F n = V::round(V::mul(xc, V::set1(1.44269504088896341f)));
  F p = exp_poly<V>(exp_reduce<V>(xc, n));
  F n1 = V::floor(V::mul(n, V::set1(0.5f)));
  F y = V::mul(V::mul(p, V::pow2i(n1)), V::pow2i(V::sub(n, n1)));
  return V::select(V::is_nan(x), x, y);
}

// e^x for the softmax's exponents (x <= 0: a row minus its maximum; correct
// up to x = 88): exp's polynomial with a single 2^n, and 0 where e^x would
// not be a normal float (x < -87.3: a weight under 2^-126 of its row's
// largest). NaN passes through. 19 operations where exp takes 27.
template <class V>
__attribute__((always_inline)) inline typename V::F exp_softmax(typename V::F x) {
  const typename V::F lo = V::set1(-87.3f);
  // min / max keep their second operand when it is NaN: x passes through.
  return V::select(V::lt(x, lo), V::zero(), exp_normal<V>(V::max(lo, V::min(V::set1(88.0f), x))));
}

// tanh: an odd minimax polynomial for |x| < 0.625 (fitted to tanh with
// relative weights), 1 - 2 / (e^{2|x|} + 1) above, with the sign of x.
template <class V>
__attribute__((always_inline)) inline typename V::F tanh(typename V::F x) {
  using F = typename V::F;
  F a = V::abs(x);
  F x2 = V::mul(x, x);
  F p = V::set1(-0.005718891508877277f);
  p = V::fmadd(p, x2, V::set1(0.02065306343138218f));
  p = V::fmadd(p, x2, V::set1(-0.053744640201330185f));
  p = V::fmadd(p, x2, V::set1(0.13331513106822968f));
  p = V::fmadd(p, x2, V::set1(-0.3333328664302826f));
  F small = V::fmadd(V::mul(x, x2), p, x);
  F e = exp<V>(V::add(a, a));
  F big = V::copysign(V::fnmadd(V::set1(2.0f), V::div(V::set1(1.0f), V::add(e, V::set1(1.0f))), V::set1(1.0f)), x);
  return V::select(V::lt(a, V::set1(0.625f)), small, big);
}

// erf: x P(x^2) for |x| < 1; 1 - e^{-x^2} Q(1/|x|) for 1 <= |x| < 4 (Q fitted
// to erfc(x) e^{x^2}); +-1 beyond (erf(4) rounds to 1 in float).
template <class V>
__attribute__((always_inline)) inline typename V::F erf(typename V::F x) {
  using F = typename V::F;
  F a = V::abs(x);
  F x2 = V::mul(x, x);
  F p = V::set1(7.897490286268294e-05f);
  p = V::fmadd(p, x2, V::set1(-0.0008024125127121806f));
  p = V::fmadd(p, x2, V::set1(0.005190025549381971f));
  p = V::fmadd(p, x2, V::set1(-0.02685479260981083f));
  p = V::fmadd(p, x2, V::set1(0.11283612251281738f));
  p = V::fmadd(p, x2, V::set1(-0.3761262893676758f));
  p = V::fmadd(p, x2, V::set1(1.128379225730896f));
  F small = V::mul(x, p);
  F u = V::div(V::set1(1.0f), V::max(a, V::set1(1.0f)));
  F q = V::set1(-0.016947012394666672f);
  q = V::fmadd(q, u, V::set1(0.11689817905426025f));
  q = V::fmadd(q, u, V::set1(-0.34758973121643066f));
  q = V::fmadd(q, u, V::set1(0.5694934129714966f));
  q = V::fmadd(q, u, V::set1(-0.5024152994155884f));
  q = V::fmadd(q, u, V::set1(0.0498700812458992f));
  q = V::fmadd(q, u, V::set1(0.5579383373260498f));
  q = V::fmadd(q, u, V::set1(0.00033560191513970494f));
  F one = V::set1(1.0f);
  F big = V::fnmadd(exp<V>(V::sub(V::zero(), x2)), q, one);
  big = V::select(V::ge(a, V::set1(4.0f)), one, big);
  big = V::copysign(big, x);
  return V::select(V::lt(a, one), small, big);
}

// 1 / (1 + e^{-x}), the portable path's form.
template <class V>
__attribute__((always_inline)) inline typename V::F sigmoid(typename V::F x) {
  return V::div(V::set1(1.0f), V::add(V::set1(1.0f), exp<V>(V::sub(V::zero(), x))));
}

template <class V>
__attribute__((always_inline)) inline typename V::F silu(typename V::F x) {
  return V::div(x, V::add(V::set1(1.0f), exp<V>(V::sub(V::zero(), x))));
}

// GELU (exact form) as x Phi(x), Phi(x) = 1 - erfc(z) / 2 for x >= 0 and
// erfc(z) / 2 below, z = |x| / sqrt 2: no cancellation for x << 0 (the
// formula x (1 + erf(x / sqrt 2)) / 2 loses all digits there).
// erfc(z) / 2 = e^{-z^2} P(z) / Q(z): the rational (degree 4 / 5, fitted here
// to erfc(z) e^{z^2} on [0, 4], relative error 1.2e-8 with float
// coefficients; P halved) is also right in the limit (P / Q ~ 0.282 / z). The
// exponential is exp's polynomial with one 2^n (-z^2 >= -80 keeps every
// intermediate normal); below -80 (|x| > 12.6, Phi(-12.6) < 1e-36) erfc counts
// as 0. Specials as the formula: NaN stays NaN, gelu(inf) = inf,
// gelu(-inf) = NaN (-inf * 0), gelu(-0) = -0.
template <class V>
__attribute__((always_inline)) inline typename V::F gelu_erf(typename V::F x) {
  using F = typename V::F;
  F t = V::mul(V::mul(x, x), V::set1(-0.5f));  // -z^2
  F e = exp_normal<V>(V::max(t, V::set1(-80.0f)));  // e^{-z^2}
  F z = V::mul(V::abs(x), V::set1(0.70710678118654752f));
  F zc = V::min(z, V::set1(16.0f));
  F p = V::set1(0.011921406723558903f);
  p = V::fmadd(p, zc, V::set1(0.09212705492973328f));
  p = V::fmadd(p, zc, V::set1(0.3170795738697052f));
  p = V::fmadd(p, zc, V::set1(0.570594072341919f));
  p = V::fmadd(p, zc, V::set1(0.5f));
  F q = V::set1(0.04225541651248932f);
  q = V::fmadd(q, zc, V::set1(0.3266986608505249f));
  q = V::fmadd(q, zc, V::set1(1.143839955329895f));
  q = V::fmadd(q, zc, V::set1(2.195091485977173f));
  q = V::fmadd(q, zc, V::set1(2.2695672512054443f));
  q = V::fmadd(q, zc, V::set1(1.0f));
  F half_erfc = V::select(V::ge(t, V::set1(-80.0f)), V::div(V::mul(e, p), q), V::zero());
  F phi = V::select(V::ge(x, V::zero()), V::sub(V::set1(1.0f), half_erfc), half_erfc);
  return V::mul(x, phi);
}

template <class V>
__attribute__((always_inline)) inline typename V::F gelu_tanh(typename V::F x) {
  auto inner = V::mul(V::set1(0.7978845608028654f), V::fmadd(V::mul(V::set1(0.044715f), V::mul(x, x)), x, x));
  auto h = V::mul(V::set1(0.5f), x);
  return V::fmadd(h, tanh<V>(inner), h);
}

}  // namespace qeff::kernels::simd
