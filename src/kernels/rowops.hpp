// The innermost loops of the nn kernels (softmax, norms, rotary, attention)
// and of the activations: one table per ISA. The drivers (softmax.cpp,
// norm.cpp, rotary.cpp, attention.cpp, activation.cpp) are portable C++ and
// call these through rowops(); only the loops here have AVX2 / AVX-512
// versions (rowops_avx2.cpp, rowops_avx512.cpp, both instantiating the
// templates of rowops_simd.hpp). The portable table (rowops.cpp) uses exact
// std:: math and double accumulators; it is the reference the ISA paths are
// tested against.
//
// All functions take raw pointers; `n` counts floats. Unless said otherwise an
// output may alias its input exactly (y == x), never partially.
#pragma once

#include <cstdint>

#include "kernels/activation.hpp"
#include "kernels/cpu.hpp"
#include "kernels/half.hpp"

namespace qeff::kernels {

struct RowOps {
  Isa isa;
  // y[i] = a(x[i]).
  void (*activation)(Activation a, const float *x, float *y, int64_t n);
  // max x[i]; -inf for n == 0.
  float (*max)(const float *x, int64_t n);
  // y[i] = exp(x[i] - c) (y may be nullptr: nothing stored); returns the sum.
  // c is the row's maximum (a softmax): the ISA paths store 0 for a term
  // below 2^-126 (simd.hpp exp_softmax), the portable one its subnormal.
  float (*exp_sum)(const float *x, float c, float *y, int64_t n);
  // The same in place over nr rows of n (row r at x + r ld, its own c[r]):
  // sums[r] = sum of row r's exps. The ISA paths interleave the rows.
  void (*exp_sum_rows)(float *x, int64_t ld, int64_t nr, int64_t n, const float *c, float *sums);
  // sum (x[i] - c)^2.
  float (*sum_sq)(const float *x, float c, int64_t n);
  float (*sum)(const float *x, int64_t n);
  // y[i] = x[i] a + b.
  void (*scale_add)(const float *x, float a, float b, float *y, int64_t n);
  // y[i] = x[i] + b[i] (one rounding, as the scalar sum: every ISA equal).
  void (*add)(const float *x, const float *b, float *y, int64_t n);
  // y[i] = a(x[i] + bias[i]) + res[i] in one pass, each operation rounded as
  // add, activation, add would (the GEMM epilogue); bias and/or res may be
  // nullptr (none).
  void (*epilogue)(Activation a, const float *x, const float *bias, const float *res, float *y, int64_t n);
  // y[i] = (x[i] - c) inv w[i] + b[i]; w and/or b may be nullptr (1 and 0).
  void (*normalize)(const float *x, float c, float inv, const float *w, const float *b, float *y, int64_t n);
  // One rotary row of 2h floats (HF rotate_half): y[j] = x[j] cos[j] - x[j+h] sin[j],
  // y[j+h] = x[j+h] cos[j+h] + x[j] sin[j+h].
  void (*rotary)(const float *x, const float *cos, const float *sin, float *y, int64_t h);
  // Attention's scores of nq query rows (row r at q + r ldq) sharing nk keys:
  // s[r lds + j] = scale * dot(q + r ldq, k + j k_stride) over d. The ISA
  // paths take 4 rows x 4 (AVX-512; AVX2: 2) keys at a time, so each key's
  // load serves 4 rows (a GQA group's heads in decode).
  void (*dot_rows)(const float *q, int64_t ldq, int64_t nq, const float *k, int64_t k_stride, int64_t nk, int64_t d,
                   float scale, float *s, int64_t lds);
  // The same scores over a transposed block of keys: s[r lds + j] = scale *
  // dot(q + r ldq, column j of kt) for r < nq, j < nk, kt holding d rows of
  // ldk floats (kt[c ldk + j] = k_j[c]). Reads only the nk columns it
  // computes. The ISA paths take 4 rows x 4 (AVX2: 2) vectors of keys.
  void (*dot_cols)(const float *q, int64_t ldq, int64_t nq, const float *kt, int64_t ldk, int64_t nk, int64_t d,
                   float scale, float *s, int64_t lds);
  // kt[c ldt + j] = k[j ldk + c] for j < nk, c < d: a block of keys
  // transposed for dot_cols (the ISA paths gather a vector of keys per c;
  // ldk times the vector width must fit an int32).
  void (*transpose)(const float *k, int64_t ldk, int64_t nk, int64_t d, float *kt, int64_t ldt);
  // acc[r ldacc + c] += sum_j p[r ldp + j] v[j v_stride + c] for r < nq,
  // c < d, j < nv: the weighted value rows of nq query rows. A product with
  // p == 0 is skipped (a masked cache row may hold anything, NaN included;
  // a v row no query row weighs is never read). The ISA paths hold several
  // rows' accumulators while the value rows stream by.
  void (*axpy_rows)(const float *p, int64_t ldp, int64_t nq, const float *v, int64_t v_stride, int64_t nv, int64_t d,
                    float *acc, int64_t ldacc);
  // The same two over k / v rows of 16-bit floats (a bf16 or f16 KV cache),
  // widened exactly as they are read.
  void (*dot_rows_bf16)(const float *q, int64_t ldq, int64_t nq, const Bf16Bits *k, int64_t k_stride, int64_t nk,
                        int64_t d, float scale, float *s, int64_t lds);
  void (*axpy_rows_bf16)(const float *p, int64_t ldp, int64_t nq, const Bf16Bits *v, int64_t v_stride, int64_t nv,
                         int64_t d, float *acc, int64_t ldacc);
  void (*dot_rows_f16)(const float *q, int64_t ldq, int64_t nq, const F16Bits *k, int64_t k_stride, int64_t nk,
                       int64_t d, float scale, float *s, int64_t lds);
  void (*axpy_rows_f16)(const float *p, int64_t ldp, int64_t nq, const F16Bits *v, int64_t v_stride, int64_t nv,
                        int64_t d, float *acc, int64_t ldacc);
  // MXINT8 rows (kernels/mxint8.hpp, row stride `stride` bytes) widened
  // exactly to rows x d floats: mxint8_dequantize_rows.
  void (*widen_mxint8)(const uint8_t *in, int64_t stride, int64_t rows, int64_t d, float *out);
};

// The table of active_isa().
const RowOps &rowops();
// The table of one ISA (tests); an ISA this build or CPU lacks falls back to
// the best one below it.
const RowOps &rowops_for(Isa isa);

// Defined in the ISA libraries (only called when the CPU supports them).
const RowOps &rowops_avx2();
const RowOps &rowops_avx512();

}  // namespace qeff::kernels
