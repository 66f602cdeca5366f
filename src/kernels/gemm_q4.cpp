// 4-bit GEMM (q4.panel16x32, gemm.hpp): weight packing with per-block scales
// and zero points, and the portable block quantization of A and microkernel.
// The driver is in gemm_quant.cpp; the AVX2 kernels in gemm_q4_avx2.cpp.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/gemm_internal.hpp"

namespace qeff::kernels {
namespace gemm_detail {
namespace {

float load_bf16(const uint8_t *p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return bf16_to_f32(h);
}

// The nibble of column j (0..15) for k = 4 q + t in a block's 256 bytes.
int nibble(const uint8_t *block, int q, int j, int t) {
  const uint8_t byte = block[q * 32 + (j % 8) * 4 + t];
  return j < 8 ? byte & 15 : byte >> 4;
}

bool quantize_span_portable(const float *x, int64_t n, int8_t *q, float *scale) {
  return quantize_i8_span(x, n, 1, q, scale);
}

template <int MR, int NP>
struct PortableQ4Kernel {
  static void run(const BlockArgs &g) {
    float acc[MR][NP * 16] = {};
    for (int64_t b = 0; b < g.nb; ++b)
      for (int p = 0; p < NP; ++p) {
        const uint8_t *panel = g.b + p * g.panel_stride;
        const uint8_t *nib = panel + q4_nibbles_at(b), *scales = panel + q4_scales_at(b), *zeros = panel + q4_zeros_at(b);
        for (int r = 0; r < MR; ++r) {
          const int8_t *a = g.qa + r * g.lda + b * kQ4Block;
          const float sa = g.a_scale[r * g.lds + b];
          const int32_t asum = g.a_sum[r * g.lds + b];
          for (int j = 0; j < 16; ++j) {
            int32_t s = 0;
            for (int q = 0; q < 8; ++q)
              for (int t = 0; t < 4; ++t) s += int32_t(a[q * 4 + t]) * nibble(nib, q, j, t);
            const int32_t c = s - int32_t(zeros[j]) * asum;
            float &out = acc[r][p * 16 + j];
            out = std::fma(static_cast<float>(c), load_bf16(scales + j * 2) * sa, out);
          }
        }
      }
    for (int r = 0; r < MR; ++r)
      for (int j = 0; j < g.nr; ++j) g.c[r * g.ldc + j] = acc[r][j];
  }
};

}  // namespace

const Q4KernelSet &q4_kernels_portable() {
  static const Q4KernelSet s =
      make_quant_kernel_set<Q4KernelSet, PortableQ4Kernel, 4, 1, 2>(quantize_blocks<quantize_span_portable>);
  return s;
}

}  // namespace gemm_detail

namespace {

using gemm_detail::ceil_div;
using gemm_detail::kQ4Block;

// Scale, zero point and values of one block of a weight column (gemm.hpp).
void quantize_weight_block(const float *w, int64_t n, int64_t stride, uint16_t *scale, uint8_t *zero, uint8_t *q) {
  float lo = 0.0f, hi = 0.0f;
  bool non_finite = false;
  for (int64_t i = 0; i < n; ++i) {
    const float v = w[i * stride];
    if (!std::isfinite(v)) non_finite = true;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  std::memset(q, 0, static_cast<size_t>(n));
  *zero = 0;
  const float range = hi - lo;
  if (non_finite || !std::isfinite(range)) {
    *scale = f32_to_bf16(__builtin_nanf(""));
    return;
  }
  if (!(range >= kGemmI8MinScale)) {
    *scale = 0;
    return;
  }
  *scale = f32_to_bf16(range / 15.0f);
  const float s = bf16_to_f32(*scale);
  auto clamp15 = [](float v) { return v < 0.0f ? 0.0f : (v > 15.0f ? 15.0f : v); };
  const float z = clamp15(std::nearbyint(-lo / s));
  *zero = static_cast<uint8_t>(z);
  for (int64_t i = 0; i < n; ++i) q[i] = static_cast<uint8_t>(clamp15(std::nearbyint(w[i * stride] / s) + z));
}

}  // namespace

uint64_t gemm_q4_packed_bytes(int64_t k, int64_t n) {
  return static_cast<uint64_t>(ceil_div(n, kGemmPanel)) * static_cast<uint64_t>(ceil_div(k, 4 * kQ4Block)) *
         gemm_detail::kQ4SuperBytes;
}

void gemm_q4_pack(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n, void *out) {
  using namespace gemm_detail;
  auto *bytes = static_cast<uint8_t *>(out);
  if (k <= 0 || n <= 0) return;  // no bytes (out may be null)
  std::memset(bytes, 0, gemm_q4_packed_bytes(k, n));
  const int64_t panel_stride = ceil_div(k, 4 * kQ4Block) * kQ4SuperBytes;
  for (int64_t j = 0; j < n; ++j) {
    uint8_t *panel = bytes + j / kGemmPanel * panel_stride;
    const int jj = static_cast<int>(j % kGemmPanel);
    for (int64_t blk = 0; blk * kQ4Block < k; ++blk) {
      const int64_t k0 = blk * kQ4Block, len = std::min(kQ4Block, k - k0);
      const float *w = transposed ? b + j * ldb + k0 : b + k0 * ldb + j;
      uint16_t scale;
      uint8_t q[kQ4Block];
      quantize_weight_block(w, len, transposed ? 1 : ldb, &scale, panel + q4_zeros_at(blk) + jj, q);
      std::memcpy(panel + q4_scales_at(blk) + jj * 2, &scale, 2);
      uint8_t *nib = panel + q4_nibbles_at(blk);
      for (int64_t i = 0; i < len; ++i) {
        uint8_t &byte = nib[i / 4 * 32 + (jj % 8) * 4 + i % 4];
        byte = static_cast<uint8_t>(jj < 8 ? (byte & 0xf0) | q[i] : (byte & 0x0f) | (q[i] << 4));
      }
    }
  }
}

}  // namespace qeff::kernels
