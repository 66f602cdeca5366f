// int8 GEMM (i8.panel16x4, gemm.hpp): weight packing with per-column scales,
// and the portable row quantization and microkernel. The driver is in
// gemm.cpp; the AVX2 kernels in gemm_i8_avx2.cpp.
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/gemm_internal.hpp"

namespace qeff::kernels {
namespace gemm_detail {

// The one scalar definition (gemm_internal.hpp), for rows of A here, weight
// columns in gemm_i8_pack and blocks of rows for the 4-bit products.
bool quantize_i8_span(const float *x, int64_t n, int64_t stride, int8_t *q, float *scale) {
  float amax = 0.0f;
  bool non_finite = false;
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i * stride];
    if (!std::isfinite(v)) non_finite = true;
    else amax = std::max(amax, std::fabs(v));
  }
  float inv = 0.0f;
  if (!i8_scale(amax, non_finite, scale, &inv)) {
    if (n > 0) std::memset(q, 0, static_cast<size_t>(n));  // q may be null when n == 0
    return false;
  }
  for (int64_t i = 0; i < n; ++i) q[i] = quantize_i8(x[i * stride], inv);
  return true;
}

namespace {


template <int MR, int NP>
struct PortableI8Kernel {
  static void run(const I8Args &g) {
    int32_t acc[MR][NP * 16] = {};
    for (int64_t q = 0; q < g.kq; ++q)
      for (int p = 0; p < NP; ++p) {
        const int8_t *w = g.b + p * g.panel_stride + q * 64;
        for (int r = 0; r < MR; ++r) {
          const int8_t *a = g.qa + r * g.lda + q * 4;
          for (int j = 0; j < 16; ++j) {
            int32_t s = 0;
            for (int t = 0; t < 4; ++t) s += int32_t(a[t]) * w[j * 4 + t];
            acc[r][p * 16 + j] += s;
          }
        }
      }
    for (int r = 0; r < MR; ++r)
      for (int j = 0; j < g.nr; ++j)
        g.c[r * g.ldc + j] = static_cast<float>(acc[r][j]) * (g.a_scale[r] * g.b_scale[j]);
  }
};

}  // namespace

const I8KernelSet &i8_kernels_portable() {
  static const I8KernelSet s = make_quant_kernel_set<I8KernelSet, PortableI8Kernel, 4, 1, 2>(quantize_rows<quantize_span_portable>);
  return s;
}

}  // namespace gemm_detail

namespace {

int64_t panels_of(int64_t n) { return (n + kGemmPanel - 1) / kGemmPanel; }
int64_t quads_of(int64_t k) { return (k + 3) / 4; }

}  // namespace

uint64_t gemm_i8_packed_bytes(int64_t k, int64_t n) {
  const uint64_t p = static_cast<uint64_t>(panels_of(n));
  return p * kGemmPanel * 8 + p * static_cast<uint64_t>(quads_of(k)) * 64;
}

void gemm_i8_pack(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n, void *out) {
  const int64_t panels = panels_of(n), kq = quads_of(k);
  auto *bytes = static_cast<uint8_t *>(out);
  std::memset(bytes, 0, gemm_i8_packed_bytes(k, n));
  auto *scale = reinterpret_cast<float *>(bytes);
  auto *colsum = reinterpret_cast<int32_t *>(bytes + panels * kGemmPanel * 4);
  auto *w = reinterpret_cast<int8_t *>(bytes + panels * kGemmPanel * 8);
  std::vector<int8_t> cols(static_cast<size_t>(k) * static_cast<size_t>(gemm_detail::kPackMaxThreads));
  gemm_detail::for_column_ranges(k, n, [&](int part, int64_t c0, int64_t c1) {
    int8_t *col = cols.data() + part * k;  // this range's own
    for (int64_t j = c0; j < c1; ++j) {
      float s = 0.0f;
      const bool nonzero = transposed ? gemm_detail::quantize_i8_span(b + j * ldb, k, 1, col, &s)
                                      : gemm_detail::quantize_i8_span(b + j, k, ldb, col, &s);
      std::memcpy(scale + j, &s, 4);  // the scales may be unaligned
      if (!nonzero) continue;
      int8_t *panel = w + (j / kGemmPanel) * kq * 64 + (j % kGemmPanel) * 4;
      int32_t sum = 0;
      for (int64_t kk = 0; kk < k; ++kk) {
        panel[(kk / 4) * 64 + kk % 4] = col[kk];
        sum += col[kk];
      }
      std::memcpy(colsum + j, &sum, 4);
    }
  });
}

}  // namespace qeff::kernels
