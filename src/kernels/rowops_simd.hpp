// The RowOps loops (kernels/rowops.hpp) written once over a vector traits
// struct V (kernels/simd.hpp); rowops_avx2.cpp and rowops_avx512.cpp
// instantiate them. Include only from those files.
#pragma once

#include <algorithm>
#include <limits>
#include <type_traits>

#include "kernels/half.hpp"
#include "kernels/mxint8.hpp"
#include "kernels/rowops.hpp"
#include "kernels/simd.hpp"

namespace qeff::kernels::simd {

inline float to_f32(Bf16Bits h) { return bf16_to_f32(h.bits); }
inline float to_f32(F16Bits h) { return f16_to_f32(h.bits); }

template <class V>
struct RowKernels {
  using F = typename V::F;
  static constexpr int64_t N = V::N;

  // y = f(x) over whole vectors, then one partial vector.
  template <class Fn>
  static void map(const float *x, float *y, int64_t n, Fn f) {
    int64_t i = 0;
    for (; i + N <= n; i += N) V::store(y + i, f(V::load(x + i)));
    if (i < n) V::store_part(y + i, f(V::load_part(x + i, n - i, 0.0f)), n - i);
  }

  // y = f(x + bias) + res over whole vectors, then one partial vector;
  // bias and res only when B and R (the GEMM epilogue in one pass).
  template <bool B, bool R, class Fn>
  static void epilogue_loop(const float *x, const float *bias, const float *res, float *y, int64_t n, Fn f) {
    auto one = [&](int64_t i, auto load) {
      F v = load(x + i);
      if constexpr (B) v = V::add(v, load(bias + i));
      v = f(v);
      if constexpr (R) v = V::add(v, load(res + i));
      return v;
    };
    int64_t i = 0;
    for (; i + N <= n; i += N) V::store(y + i, one(i, [](const float *p) { return V::load(p); }));
    if (i < n) {
      const int64_t r = n - i;
      V::store_part(y + i, one(i, [r](const float *p) { return V::load_part(p, r, 0.0f); }), r);
    }
  }

  template <class Fn>
  static void epilogue_with(const float *x, const float *bias, const float *res, float *y, int64_t n, Fn f) {
    if (bias && res) return epilogue_loop<true, true>(x, bias, res, y, n, f);
    if (bias) return epilogue_loop<true, false>(x, bias, res, y, n, f);
    if (res) return epilogue_loop<false, true>(x, bias, res, y, n, f);
    epilogue_loop<false, false>(x, bias, res, y, n, f);
  }

  static void epilogue(Activation a, const float *x, const float *bias, const float *res, float *y, int64_t n) {
    switch (a) {
      case Activation::none: return epilogue_with(x, bias, res, y, n, [](F v) { return v; });
      case Activation::relu: return epilogue_with(x, bias, res, y, n, [](F v) { return V::max(v, V::zero()); });
      case Activation::gelu_erf: return epilogue_with(x, bias, res, y, n, [](F v) { return gelu_erf<V>(v); });
      case Activation::gelu_tanh: return epilogue_with(x, bias, res, y, n, [](F v) { return gelu_tanh<V>(v); });
      case Activation::silu: return epilogue_with(x, bias, res, y, n, [](F v) { return silu<V>(v); });
      case Activation::sigmoid: return epilogue_with(x, bias, res, y, n, [](F v) { return sigmoid<V>(v); });
      case Activation::tanh: return epilogue_with(x, bias, res, y, n, [](F v) { return tanh<V>(v); });
      case Activation::exp: return epilogue_with(x, bias, res, y, n, [](F v) { return exp<V>(v); });
      case Activation::erf: return epilogue_with(x, bias, res, y, n, [](F v) { return erf<V>(v); });
    }
  }

  static void activation(Activation a, const float *x, float *y, int64_t n) {
    if (a == Activation::none && x == y) return;
    epilogue(a, x, nullptr, nullptr, y, n);
  }

  static float max(const float *x, int64_t n) {
    constexpr float kNegInf = -std::numeric_limits<float>::infinity();
    F m0 = V::set1(kNegInf), m1 = m0;
    int64_t i = 0;
    for (; i + 2 * N <= n; i += 2 * N) {
      m0 = V::max(m0, V::load(x + i));
      m1 = V::max(m1, V::load(x + i + N));
    }
    for (; i + N <= n; i += N) m0 = V::max(m0, V::load(x + i));
    if (i < n) m1 = V::max(m1, V::load_part(x + i, n - i, kNegInf));
    return V::reduce_max(V::max(m0, m1));
  }

  static float exp_sum(const float *x, float c, float *y, int64_t n) {
    F cv = V::set1(c), s0 = V::zero(), s1 = V::zero();
    int64_t i = 0;
    for (; i + N <= n; i += N) {
      F e = exp_softmax<V>(V::sub(V::load(x + i), cv));
      if (y) V::store(y + i, e);
      if ((i / N) & 1)
        s1 = V::add(s1, e);
      else
        s0 = V::add(s0, e);
    }
    if (i < n) {
      F e = V::keep_part(exp_softmax<V>(V::sub(V::load_part(x + i, n - i, 0.0f), cv)), n - i);
      if (y) V::store_part(y + i, e, n - i);
      s1 = V::add(s1, e);
    }
    return V::reduce_add(V::add(s0, s1));
  }

  // exp_sum over nr rows in place (row r at x + r ld, minus c[r]), 4 rows
  // at a time: their exps are independent, so a short row (a key block of
  // 64) no longer waits on the exp's latency.
  static void exp_sum_rows(float *x, int64_t ld, int64_t nr, int64_t n, const float *c, float *sums) {
    for (int64_t r0 = 0; r0 < nr; r0 += 4) {
      const int rows = static_cast<int>(std::min<int64_t>(4, nr - r0));
      F s[4], cv[4];
      for (int r = 0; r < rows; ++r) s[r] = V::zero(), cv[r] = V::set1(c[r0 + r]);
      int64_t i = 0;
      for (; i + N <= n; i += N)
        for (int r = 0; r < rows; ++r) {
          float *p = x + (r0 + r) * ld + i;
          const F e = exp_softmax<V>(V::sub(V::load(p), cv[r]));
          V::store(p, e);
          s[r] = V::add(s[r], e);
        }
      if (i < n)
        for (int r = 0; r < rows; ++r) {
          float *p = x + (r0 + r) * ld + i;
          const F e = V::keep_part(exp_softmax<V>(V::sub(V::load_part(p, n - i, 0.0f), cv[r])), n - i);
          V::store_part(p, e, n - i);
          s[r] = V::add(s[r], e);
        }
      for (int r = 0; r < rows; ++r) sums[r0 + r] = V::reduce_add(s[r]);
    }
  }

  static float sum_sq(const float *x, float c, int64_t n) {
    F cv = V::set1(c), s0 = V::zero(), s1 = V::zero();
    int64_t i = 0;
    for (; i + 2 * N <= n; i += 2 * N) {
      F d0 = V::sub(V::load(x + i), cv), d1 = V::sub(V::load(x + i + N), cv);
      s0 = V::fmadd(d0, d0, s0);
      s1 = V::fmadd(d1, d1, s1);
    }
    for (; i + N <= n; i += N) {
      F d = V::sub(V::load(x + i), cv);
      s0 = V::fmadd(d, d, s0);
    }
    if (i < n) {
      F d = V::sub(V::load_part(x + i, n - i, c), cv);  // fill c: padding lanes add 0
      s1 = V::fmadd(d, d, s1);
    }
    return V::reduce_add(V::add(s0, s1));
  }

  static float sum(const float *x, int64_t n) {
    F s0 = V::zero(), s1 = V::zero();
    int64_t i = 0;
    for (; i + 2 * N <= n; i += 2 * N) {
      s0 = V::add(s0, V::load(x + i));
      s1 = V::add(s1, V::load(x + i + N));
    }
    for (; i + N <= n; i += N) s0 = V::add(s0, V::load(x + i));
    if (i < n) s1 = V::add(s1, V::load_part(x + i, n - i, 0.0f));
    return V::reduce_add(V::add(s0, s1));
  }

  static void scale_add(const float *x, float a, float b, float *y, int64_t n) {
    F av = V::set1(a), bv = V::set1(b);
    map(x, y, n, [&](F v) { return V::fmadd(v, av, bv); });
  }

  static void add(const float *x, const float *b, float *y, int64_t n) {
    int64_t i = 0;
    for (; i + N <= n; i += N) V::store(y + i, V::add(V::load(x + i), V::load(b + i)));
    if (i < n) V::store_part(y + i, V::add(V::load_part(x + i, n - i, 0.0f), V::load_part(b + i, n - i, 0.0f)), n - i);
  }

  static void normalize(const float *x, float c, float inv, const float *w, const float *b, float *y, int64_t n) {
    F cv = V::set1(c), iv = V::set1(inv);
    auto one = [&](int64_t i, F v, auto load) {
      F t = V::mul(V::sub(v, cv), iv);
      if (w) t = V::mul(t, load(w + i));
      if (b) t = V::add(t, load(b + i));
      return t;
    };
    int64_t i = 0;
    for (; i + N <= n; i += N) V::store(y + i, one(i, V::load(x + i), [](const float *p) { return V::load(p); }));
    if (i < n) {
      int64_t r = n - i;
      auto part = [r](const float *p) { return V::load_part(p, r, 0.0f); };
      V::store_part(y + i, one(i, part(x + i), part), r);
    }
  }

  static void rotary(const float *x, const float *cs, const float *sn, float *y, int64_t h) {
    // Both halves are loaded before either is stored, so y may alias x.
    auto step = [&](int64_t j, auto load, auto store) {
      F x1 = load(x + j), x2 = load(x + h + j);
      F y1 = V::fnmadd(x2, load(sn + j), V::mul(x1, load(cs + j)));
      F y2 = V::fmadd(x1, load(sn + h + j), V::mul(x2, load(cs + h + j)));
      store(y + j, y1);
      store(y + h + j, y2);
    };
    int64_t j = 0;
    for (; j + N <= h; j += N)
      step(j, [](const float *p) { return V::load(p); }, [](float *p, F v) { V::store(p, v); });
    if (j < h) {
      int64_t r = h - j;
      step(j, [r](const float *p) { return V::load_part(p, r, 0.0f); },
           [r](float *p, F v) { V::store_part(p, v, r); });
    }
  }

  // A whole vector / the first n < N lanes (the rest 0) of floats or of
  // 16-bit floats (widened exactly).
  template <class T>
  static F load_k(const T *p) {
    return V::load(p);
  }
  template <class T>
  static F load_k_part(const T *p, int64_t n) {
    if constexpr (std::is_same_v<T, float>) {
      return V::load_part(p, n, 0.0f);
    } else {
      alignas(64) float t[N] = {};
      for (int64_t i = 0; i < n; ++i) t[i] = to_f32(p[i]);
      return V::load(t);
    }
  }

  // Eight keys, then four, at a time: one accumulator per key over d (so
  // the FMA chains overlap), one hadd tree per four keys. A key's sum is the
  // same in either group.
  template <class T>
  static void dot_row(const float *q, const T *k, int64_t k_stride, int64_t nk, int64_t d, float scale, float *s) {
    const int64_t dv = d - d % N, rest = d - dv;
    int64_t j = 0;
    for (; j + 8 <= nk; j += 8) {
      const T *kr[8];
#pragma GCC unroll 8
      for (int t = 0; t < 8; ++t) kr[t] = k + (j + t) * k_stride;
      F a[8];
#pragma GCC unroll 8
      for (int t = 0; t < 8; ++t) a[t] = V::zero();
      for (int64_t c = 0; c < dv; c += N) {
        F qv = V::load(q + c);
#pragma GCC unroll 8
        for (int t = 0; t < 8; ++t) a[t] = V::fmadd(qv, load_k(kr[t] + c), a[t]);
      }
      if (rest) {
        F qv = V::load_part(q + dv, rest, 0.0f);
#pragma GCC unroll 8
        for (int t = 0; t < 8; ++t) a[t] = V::fmadd(qv, load_k_part(kr[t] + dv, rest), a[t]);
      }
      V::hsum4(a[0], a[1], a[2], a[3], s + j);
      V::hsum4(a[4], a[5], a[6], a[7], s + j + 4);
#pragma GCC unroll 8
      for (int t = 0; t < 8; ++t) s[j + t] *= scale;
    }
    for (; j + 4 <= nk; j += 4) {
      const T *k0 = k + j * k_stride, *k1 = k0 + k_stride, *k2 = k1 + k_stride, *k3 = k2 + k_stride;
      F a0 = V::zero(), a1 = V::zero(), a2 = V::zero(), a3 = V::zero();
      for (int64_t c = 0; c < dv; c += N) {
        F qv = V::load(q + c);
        a0 = V::fmadd(qv, load_k(k0 + c), a0);
        a1 = V::fmadd(qv, load_k(k1 + c), a1);
        a2 = V::fmadd(qv, load_k(k2 + c), a2);
        a3 = V::fmadd(qv, load_k(k3 + c), a3);
      }
      if (rest) {
        F qv = V::load_part(q + dv, rest, 0.0f);
        a0 = V::fmadd(qv, load_k_part(k0 + dv, rest), a0);
        a1 = V::fmadd(qv, load_k_part(k1 + dv, rest), a1);
        a2 = V::fmadd(qv, load_k_part(k2 + dv, rest), a2);
        a3 = V::fmadd(qv, load_k_part(k3 + dv, rest), a3);
      }
      V::hsum4(a0, a1, a2, a3, s + j);
#pragma GCC unroll 8
      for (int t = 0; t < 4; ++t) s[j + t] *= scale;
    }
    for (; j < nk; ++j) {
      const T *kr = k + j * k_stride;
      F a = V::zero();
      for (int64_t c = 0; c < dv; c += N) a = V::fmadd(V::load(q + c), load_k(kr + c), a);
      if (rest) a = V::fmadd(V::load_part(q + dv, rest, 0.0f), load_k_part(kr + dv, rest), a);
      s[j] = V::reduce_add(a) * scale;
    }
  }

  // acc[c0, c0 + W) held in W / N registers while the rows stream by.
  template <int W, class T>
  static void axpy_block(const float *p, const T *v, int64_t v_stride, int64_t nv, float *acc) {
    F a[W];
#pragma GCC unroll 8
    for (int t = 0; t < W; ++t) a[t] = V::load(acc + t * N);
    for (int64_t j = 0; j < nv; ++j) {
      if (p[j] == 0.0f) continue;
      F pj = V::set1(p[j]);
      const T *vr = v + j * v_stride;
#pragma GCC unroll 8
      for (int t = 0; t < W; ++t) a[t] = V::fmadd(pj, load_k(vr + t * N), a[t]);
    }
#pragma GCC unroll 8
    for (int t = 0; t < W; ++t) V::store(acc + t * N, a[t]);
  }

  // G vectors of keys (columns of kt) at a time; two sets of accumulators
  // take the even and odd elements of q, so 2 G FMA chains are in flight. A
  // partial vector (rest > 0: its first `rest` keys) is read and written
  // masked.
  template <int G>
  static void dot_cols_block(const float *q, const float *kt, int64_t ldk, int64_t d, F sc, float *s, int64_t rest) {
    F a[2][G];
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) a[0][g] = a[1][g] = V::zero();
    auto col = [&](const float *row, int g) { return rest ? V::load_part(row, rest, 0.0f) : V::load(row + g * N); };
    int64_t c = 0;
    for (; c + 2 <= d; c += 2) {
      const F q0 = V::set1(q[c]), q1 = V::set1(q[c + 1]);
#pragma GCC unroll 4
      for (int g = 0; g < G; ++g) {
        a[0][g] = V::fmadd(q0, col(kt + c * ldk, g), a[0][g]);
        a[1][g] = V::fmadd(q1, col(kt + (c + 1) * ldk, g), a[1][g]);
      }
    }
    if (c < d) {
      const F q0 = V::set1(q[c]);
#pragma GCC unroll 4
      for (int g = 0; g < G; ++g) a[0][g] = V::fmadd(q0, col(kt + c * ldk, g), a[0][g]);
    }
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) {
      const F r = V::mul(V::add(a[0][g], a[1][g]), sc);
      if (rest)
        V::store_part(s, r, rest);
      else
        V::store(s + g * N, r);
    }
  }

  static void dot_cols_row(const float *q, const float *kt, int64_t ldk, int64_t nk, int64_t d, F sc, float *s) {
    int64_t j = 0;
    for (; j + 4 * N <= nk; j += 4 * N) dot_cols_block<4>(q, kt + j, ldk, d, sc, s + j, 0);
    for (; j + N <= nk; j += N) dot_cols_block<1>(q, kt + j, ldk, d, sc, s + j, 0);
    if (j < nk) dot_cols_block<1>(q, kt + j, ldk, d, sc, s + j, nk - j);
  }

  // kTileRows rows x G vectors of keys: per element c of the head, G loads
  // of kt and kTileRows broadcasts of q feed kTileRows G FMAs (a single row
  // loads a vector of keys per FMA). A partial vector (rest > 0, G = 1) is
  // read and written masked.
  template <int G>
  static void dot_cols_tile(const float *q, int64_t ldq, const float *kt, int64_t ldk, int64_t d, F sc, float *s,
                            int64_t lds, int64_t rest) {
    F a[kTileRows][G];
#pragma GCC unroll 4
    for (int r = 0; r < kTileRows; ++r)
#pragma GCC unroll 4
      for (int g = 0; g < G; ++g) a[r][g] = V::zero();
    for (int64_t c = 0; c < d; ++c) {
      F k[G];
#pragma GCC unroll 4
      for (int g = 0; g < G; ++g) k[g] = rest ? V::load_part(kt + c * ldk, rest, 0.0f) : V::load(kt + c * ldk + g * N);
#pragma GCC unroll 4
      for (int r = 0; r < kTileRows; ++r) {
        const F qv = V::set1(q[r * ldq + c]);
#pragma GCC unroll 4
        for (int g = 0; g < G; ++g) a[r][g] = V::fmadd(qv, k[g], a[r][g]);
      }
    }
#pragma GCC unroll 4
    for (int r = 0; r < kTileRows; ++r)
#pragma GCC unroll 4
      for (int g = 0; g < G; ++g) {
        const F v = V::mul(a[r][g], sc);
        if (rest)
          V::store_part(s + r * lds, v, rest);
        else
          V::store(s + r * lds + g * N, v);
      }
  }

  // s[r lds + j] = scale * dot(q + r ldq, column j of kt) for r < nq, j < nk.
  static void dot_cols(const float *q, int64_t ldq, int64_t nq, const float *kt, int64_t ldk, int64_t nk, int64_t d,
                       float scale, float *s, int64_t lds) {
    const F sc = V::set1(scale);
    constexpr int G = N == 16 ? 4 : 2;  // kTileRows G accumulators: 16 of 32 zmm, 8 of 16 ymm
    int64_t r = 0;
    for (; r + kTileRows <= nq; r += kTileRows) {
      const float *qr = q + r * ldq;
      float *sr = s + r * lds;
      int64_t j = 0;
      for (; j + G * N <= nk; j += G * N) dot_cols_tile<G>(qr, ldq, kt + j, ldk, d, sc, sr + j, lds, 0);
      for (; j + N <= nk; j += N) dot_cols_tile<1>(qr, ldq, kt + j, ldk, d, sc, sr + j, lds, 0);
      if (j < nk) dot_cols_tile<1>(qr, ldq, kt + j, ldk, d, sc, sr + j, lds, nk - j);
    }
    for (; r < nq; ++r) dot_cols_row(q + r * ldq, kt, ldk, nk, d, sc, s + r * lds);
  }

  // A row of W < 4 vectors (a short head: 32 floats on AVX-512): one FMA
  // chain per vector would wait on the FMA latency, so 4 sets of accumulators
  // take the keys in turn (j % 4) and are summed at the end.
  template <int W, class T>
  static void axpy_short(const float *p, const T *v, int64_t v_stride, int64_t nv, float *acc) {
    F a[4][W];
#pragma GCC unroll 4
    for (int t = 0; t < W; ++t) {
      a[0][t] = V::load(acc + t * N);
      a[1][t] = a[2][t] = a[3][t] = V::zero();
    }
    int64_t j = 0;
    for (; j + 4 <= nv; j += 4)
#pragma GCC unroll 4
      for (int u = 0; u < 4; ++u) {
        if (p[j + u] == 0.0f) continue;
        const F pj = V::set1(p[j + u]);
        const T *vr = v + (j + u) * v_stride;
#pragma GCC unroll 4
        for (int t = 0; t < W; ++t) a[u][t] = V::fmadd(pj, load_k(vr + t * N), a[u][t]);
      }
    for (; j < nv; ++j) {
      if (p[j] == 0.0f) continue;
      const F pj = V::set1(p[j]);
#pragma GCC unroll 4
      for (int t = 0; t < W; ++t) a[0][t] = V::fmadd(pj, load_k(v + j * v_stride + t * N), a[0][t]);
    }
#pragma GCC unroll 4
    for (int t = 0; t < W; ++t) V::store(acc + t * N, V::add(V::add(a[0][t], a[1][t]), V::add(a[2][t], a[3][t])));
  }

  // Eight vectors of columns at a time where d allows (independent FMA
  // chains); each column's sum over j is the same in any block width. Rows
  // of 1 to 3 whole vectors take the keys 4 at a time instead.
  template <class T>
  static void axpy_row(const float *p, const T *v, int64_t v_stride, int64_t nv, int64_t d, float *acc) {
    if (d == N) return axpy_short<1>(p, v, v_stride, nv, acc);
    if (d == 2 * N) return axpy_short<2>(p, v, v_stride, nv, acc);
    if (d == 3 * N) return axpy_short<3>(p, v, v_stride, nv, acc);
    int64_t c = 0;
    for (; c + 8 * N <= d; c += 8 * N) axpy_block<8>(p, v + c, v_stride, nv, acc + c);
    for (; c + 4 * N <= d; c += 4 * N) axpy_block<4>(p, v + c, v_stride, nv, acc + c);
    for (; c + N <= d; c += N) axpy_block<1>(p, v + c, v_stride, nv, acc + c);
    if (c < d) {
      const int64_t r = d - c;
      F a = V::load_part(acc + c, r, 0.0f);
      for (int64_t j = 0; j < nv; ++j)
        if (p[j] != 0.0f) a = V::fmadd(V::set1(p[j]), load_k_part(v + j * v_stride + c, r), a);
      V::store_part(acc + c, a, r);
    }
  }

  // ---- several query rows sharing each key and value row (attention) ----

  // A tile of kTileRows rows x kTileKeys keys (kTileRows kTileKeys == N
  // accumulators): each key's vector load serves 4 rows and each row's
  // serves kTileKeys keys; the N sums are reduced together (V::reduce_n).
  static constexpr int kTileRows = 4, kTileKeys = static_cast<int>(N) / kTileRows;

  template <class T>
  static void dot_tile(const float *q, int64_t ldq, const T *k, int64_t k_stride, int64_t d, float scale, float *s,
                       int64_t lds) {
    const int64_t dv = d - d % N, rest = d - dv;
    F a[N];
#pragma GCC unroll 16
    for (int i = 0; i < N; ++i) a[i] = V::zero();
    auto step = [&](int64_t c, auto load_q, auto load_key) {
      F kv[kTileKeys];
#pragma GCC unroll 4
      for (int t = 0; t < kTileKeys; ++t) kv[t] = load_key(k + t * k_stride + c);
#pragma GCC unroll 4
      for (int r = 0; r < kTileRows; ++r) {
        const F qv = load_q(q + r * ldq + c);
#pragma GCC unroll 4
        for (int t = 0; t < kTileKeys; ++t) a[r * kTileKeys + t] = V::fmadd(qv, kv[t], a[r * kTileKeys + t]);
      }
    };
    for (int64_t c = 0; c < dv; c += N)
      step(c, [](const float *x) { return V::load(x); }, [](const T *x) { return load_k(x); });
    if (rest)
      step(dv, [rest](const float *x) { return V::load_part(x, rest, 0.0f); },
           [rest](const T *x) { return load_k_part(x, rest); });
    V::store_groups(V::mul(V::reduce_n(a), V::set1(scale)), s, lds);
  }

  // s[r lds + j] = scale * dot(q + r ldq, k + j k_stride) for r < nq, j < nk.
  template <class T>
  static void dot_rows(const float *q, int64_t ldq, int64_t nq, const T *k, int64_t k_stride, int64_t nk, int64_t d,
                       float scale, float *s, int64_t lds) {
    int64_t r = 0;
    const int64_t nkt = nk - nk % kTileKeys;
    for (; r + kTileRows <= nq && nkt > 0; r += kTileRows) {
      for (int64_t j = 0; j < nkt; j += kTileKeys)
        dot_tile(q + r * ldq, ldq, k + j * k_stride, k_stride, d, scale, s + r * lds + j, lds);
      if (nkt < nk)
        for (int64_t i = r; i < r + kTileRows; ++i)
          dot_row(q + i * ldq, k + nkt * k_stride, k_stride, nk - nkt, d, scale, s + i * lds + nkt);
    }
    for (; r < nq; ++r) dot_row(q + r * ldq, k, k_stride, nk, d, scale, s + r * lds);
  }

  // kt[c ldt + j] = k[j ldk + c] for j < n, c < d: whole N x N blocks
  // transposed in registers, the rest (a partial vector of keys, a head's
  // tail) N keys' element c per gather.
  static void transpose(const float *k, int64_t ldk, int64_t n, int64_t d, float *kt, int64_t ldt) {
    if (ldk > std::numeric_limits<int32_t>::max() / N)  // offsets beyond the gather's int32 indices
      return rowops_for(Isa::portable).transpose(k, ldk, n, d, kt, ldt);
    for (int64_t j = 0; j < n; j += N) {
      const int64_t cnt = std::min<int64_t>(N, n - j);
      int64_t c0 = 0;
      if (cnt == N)  // whole N x N blocks in registers
        for (; c0 + N <= d; c0 += N) V::transpose_n(k + j * ldk + c0, ldk, kt + c0 * ldt + j, ldt);
      for (int64_t c = c0; c < d; ++c) {
        const F v = V::gather(k + j * ldk + c, static_cast<int32_t>(ldk), cnt);
        if (cnt == N)
          V::store(kt + c * ldt + j, v);
        else
          V::store_part(kt + c * ldt + j, v, cnt);
      }
    }
  }

  // acc rows [R] x columns [c0, c0 + W N) += p rows x v: W N columns held
  // for R rows while the keys stream by; each key's W vectors serve R rows.
  // Checked: some p are 0, and those products are skipped (their v rows may
  // hold anything, NaN included), as axpy_row does.
  template <int R, int W, bool Checked, class T>
  static void axpy_tile(const float *p, int64_t ldp, const T *v, int64_t v_stride, int64_t nv, float *acc,
                        int64_t ldacc) {
    F a[R][W];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (int t = 0; t < W; ++t) a[r][t] = V::load(acc + r * ldacc + t * N);
    for (int64_t j = 0; j < nv; ++j) {
      F vv[W];
#pragma GCC unroll 4
      for (int t = 0; t < W; ++t) vv[t] = load_k(v + j * v_stride + t * N);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const float pr = p[r * ldp + j];
        if (Checked && pr == 0.0f) continue;
        const F pv = V::set1(pr);
#pragma GCC unroll 4
        for (int t = 0; t < W; ++t) a[r][t] = V::fmadd(pv, vv[t], a[r][t]);
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (int t = 0; t < W; ++t) V::store(acc + r * ldacc + t * N, a[r][t]);
  }

  // Rows [0, nq) of whole-vector columns [c0, c0 + W N): tiles of R rows,
  // R W accumulators at most kMaxAcc.
  static constexpr int kMaxAcc = N == 16 ? 16 : 8;
  template <int W, class T>
  static void axpy_columns(const float *p, int64_t ldp, int64_t nq, const T *v, int64_t v_stride, int64_t nv,
                           float *acc, int64_t ldacc, bool checked) {
    constexpr int R = kMaxAcc / W > 8 ? 8 : kMaxAcc / W;
    int64_t r = 0;
    for (; r + R <= nq; r += R) {
      if (checked)
        axpy_tile<R, W, true>(p + r * ldp, ldp, v, v_stride, nv, acc + r * ldacc, ldacc);
      else
        axpy_tile<R, W, false>(p + r * ldp, ldp, v, v_stride, nv, acc + r * ldacc, ldacc);
    }
    for (; r < nq; ++r) axpy_tile<1, W, true>(p + r * ldp, ldp, v, v_stride, nv, acc + r * ldacc, ldacc);
  }

  // acc[r ldacc + c] += sum_j p[r ldp + j] v[j v_stride + c] for r < nq,
  // c < d, j < nv; products with p == 0 are skipped.
  template <class T>
  static void axpy_rows(const float *p, int64_t ldp, int64_t nq, const T *v, int64_t v_stride, int64_t nv, int64_t d,
                        float *acc, int64_t ldacc) {
    if (nq == 1 || d % N != 0) {
      for (int64_t r = 0; r < nq; ++r) axpy_row(p + r * ldp, v, v_stride, nv, d, acc + r * ldacc);
      return;
    }
    bool checked = false;  // some weight is 0
    for (int64_t r = 0; r < nq && !checked; ++r) {
      const float *pr = p + r * ldp;
      int64_t j = 0;
      for (; j + N <= nv && !checked; j += N) checked = V::any_zero(V::load(pr + j));
      if (j < nv && !checked) checked = V::any_zero(V::load_part(pr + j, nv - j, 1.0f));
    }
    int64_t c = 0;
    for (; c + 4 * N <= d; c += 4 * N) axpy_columns<4>(p, ldp, nq, v + c, v_stride, nv, acc + c, ldacc, checked);
    if (d - c == 3 * N) axpy_columns<3>(p, ldp, nq, v + c, v_stride, nv, acc + c, ldacc, checked);
    if (d - c == 2 * N) axpy_columns<2>(p, ldp, nq, v + c, v_stride, nv, acc + c, ldacc, checked);
    if (d - c == N) axpy_columns<1>(p, ldp, nq, v + c, v_stride, nv, acc + c, ldacc, checked);
  }

  static void widen_mxint8(const uint8_t *in, int64_t stride, int64_t rows, int64_t d, float *out) {
    for_each_mxint8_block(in, stride, rows, d, out, [](const int8_t *q, int64_t n, float unit, float *o) {
      const F u = V::set1(unit);
      int64_t i = 0;
      for (; i + N <= n; i += N) V::store(o + i, V::mul(V::load_i8(q + i), u));
      for (; i < n; ++i) o[i] = static_cast<float>(q[i]) * unit;
    });
  }

  static RowOps table(Isa isa) {
    return RowOps{isa,
                  activation,
                  max,
                  exp_sum,
                  exp_sum_rows,
                  sum_sq,
                  sum,
                  scale_add,
                  add,
                  epilogue,
                  normalize,
                  rotary,
                  dot_rows<float>,
                  dot_cols,
                  transpose,
                  axpy_rows<float>,
                  dot_rows<Bf16Bits>,
                  axpy_rows<Bf16Bits>,
                  dot_rows<F16Bits>,
                  axpy_rows<F16Bits>,
                  widen_mxint8};
  }
};

}  // namespace qeff::kernels::simd
