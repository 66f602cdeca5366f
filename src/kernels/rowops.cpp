// The portable RowOps table (exact std:: math, double accumulators) and the
// dispatch between it and the ISA tables.
#include "kernels/rowops.hpp"

#include "kernels/mxint8.hpp"

#include <cmath>
#include <limits>

namespace qeff::kernels {
namespace {

template <class F>
void map(const float *x, float *y, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

void activation(Activation a, const float *x, float *y, int64_t n) {
  switch (a) {
    case Activation::none:
      if (x != y) map(x, y, n, [](float v) { return v; });
      return;
    case Activation::relu: return map(x, y, n, [](float v) { return v > 0.0f ? v : 0.0f; });
    case Activation::gelu_erf:
      return map(x, y, n, [](float v) { return 0.5f * v * (1.0f + std::erf(v * 0.70710678118654752f)); });
    case Activation::gelu_tanh:
      return map(x, y, n, [](float v) {
        return 0.5f * v * (1.0f + std::tanh(0.7978845608028654f * (v + 0.044715f * v * v * v)));
      });
    case Activation::silu: return map(x, y, n, [](float v) { return v / (1.0f + std::exp(-v)); });
    case Activation::sigmoid: return map(x, y, n, [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
    case Activation::tanh: return map(x, y, n, [](float v) { return std::tanh(v); });
    case Activation::exp: return map(x, y, n, [](float v) { return std::exp(v); });
    case Activation::erf: return map(x, y, n, [](float v) { return std::erf(v); });
  }
}

float max(const float *x, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

float exp_sum(const float *x, float c, float *y, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) {
    float e = std::exp(x[i] - c);
    if (y) y[i] = e;
    s += e;
  }
  return static_cast<float>(s);
}

void exp_sum_rows(float *x, int64_t ld, int64_t nr, int64_t n, const float *c, float *sums) {
  for (int64_t r = 0; r < nr; ++r) sums[r] = exp_sum(x + r * ld, c[r], x + r * ld, n);
}

float sum_sq(const float *x, float c, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) {
    float d = x[i] - c;
    s += static_cast<double>(d) * d;
  }
  return static_cast<float>(s);
}

float sum(const float *x, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += x[i];
  return static_cast<float>(s);
}

void scale_add(const float *x, float a, float b, float *y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * a + b;
}

void add(const float *x, const float *b, float *y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] + b[i];
}

// The passes the ISA tables fuse, one after the other (the same roundings).
void epilogue(Activation a, const float *x, const float *bias, const float *res, float *y, int64_t n) {
  if (bias) {
    add(x, bias, y, n);
    x = y;
  }
  activation(a, x, y, n);
  if (res) add(y, res, y, n);
}

void normalize(const float *x, float c, float inv, const float *w, const float *b, float *y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    float t = (x[i] - c) * inv;
    if (w) t *= w[i];
    if (b) t += b[i];
    y[i] = t;
  }
}

void rotary(const float *x, const float *cs, const float *sn, float *y, int64_t h) {
  for (int64_t j = 0; j < h; ++j) {
    float x1 = x[j], x2 = x[h + j];  // both read before either is written (y may be x)
    y[j] = x1 * cs[j] - x2 * sn[j];
    y[h + j] = x2 * cs[h + j] + x1 * sn[h + j];
  }
}

inline float widen(float x) { return x; }
inline float widen(Bf16Bits h) { return bf16_to_f32(h.bits); }
inline float widen(F16Bits h) { return f16_to_f32(h.bits); }

template <class T>
void dot_rows(const float *q, int64_t ldq, int64_t nq, const T *k, int64_t k_stride, int64_t nk, int64_t d,
              float scale, float *s, int64_t lds) {
  for (int64_t r = 0; r < nq; ++r)
    for (int64_t j = 0; j < nk; ++j) {
      const T *kr = k + j * k_stride;
      double a = 0;
      for (int64_t c = 0; c < d; ++c) a += static_cast<double>(q[r * ldq + c]) * widen(kr[c]);
      s[r * lds + j] = static_cast<float>(a) * scale;
    }
}

void dot_cols(const float *q, int64_t ldq, int64_t nq, const float *kt, int64_t ldk, int64_t nk, int64_t d,
              float scale, float *s, int64_t lds) {
  for (int64_t r = 0; r < nq; ++r)
    for (int64_t j = 0; j < nk; ++j) {
      double a = 0;
      for (int64_t c = 0; c < d; ++c) a += static_cast<double>(q[r * ldq + c]) * kt[c * ldk + j];
      s[r * lds + j] = static_cast<float>(a) * scale;
    }
}

void transpose(const float *k, int64_t ldk, int64_t n, int64_t d, float *kt, int64_t ldt) {
  for (int64_t j = 0; j < n; ++j)
    for (int64_t c = 0; c < d; ++c) kt[c * ldt + j] = k[j * ldk + c];
}

template <class T>
void axpy_rows(const float *p, int64_t ldp, int64_t nq, const T *v, int64_t v_stride, int64_t nv, int64_t d,
               float *acc, int64_t ldacc) {
  for (int64_t r = 0; r < nq; ++r)
    for (int64_t j = 0; j < nv; ++j) {
      const float pj = p[r * ldp + j];
      if (pj == 0.0f) continue;
      const T *vr = v + j * v_stride;
      for (int64_t c = 0; c < d; ++c) acc[r * ldacc + c] += pj * widen(vr[c]);
    }
}

const RowOps kPortable{Isa::portable,        activation,          max,
                       exp_sum,              exp_sum_rows,        sum_sq,              sum,
                       scale_add,            add,                 epilogue,            normalize,
                       rotary,
                       dot_rows<float>,      dot_cols,            transpose,           axpy_rows<float>,    dot_rows<Bf16Bits>,
                       axpy_rows<Bf16Bits>,  dot_rows<F16Bits>,   axpy_rows<F16Bits>,
                       mxint8_dequantize_rows};

}  // namespace

const RowOps &rowops_for(Isa isa) {
  Isa best = detected_isa();
  if (static_cast<int>(isa) > static_cast<int>(best)) isa = best;
#if defined(__x86_64__)
  if (isa_at_least(isa, Isa::avx512)) return rowops_avx512();
  if (isa == Isa::avx2) return rowops_avx2();
#endif
  return kPortable;
}

const RowOps &rowops() { return rowops_for(active_isa()); }

}  // namespace qeff::kernels
