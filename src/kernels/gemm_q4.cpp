// 4-bit GEMM (q4.panel16x32, gemm.hpp): the layout as a block format (weight
// quantization with per-block scales and zero points, where each value
// lives), over which gemm_blocks.hpp writes the packing loop and the portable
// kernel. The driver is in gemm_quant.cpp; the AVX2 kernels in
// gemm_q4_avx2.cpp.
#include "kernels/gemm_blocks.hpp"

namespace qeff::kernels {
namespace gemm_detail {
namespace {

struct Q4Format {
  static constexpr int64_t kSuperBytes = kQ4SuperBytes;

  // The nibble of column j (0..15) for k = 4 q + t of block b.
  static int value(const uint8_t *panel, int64_t b, int q, int j, int t) {
    const uint8_t byte = panel[q4_nibbles_at(b) + q * 32 + (j % 8) * 4 + t];
    return j < 8 ? byte & 15 : byte >> 4;
  }
  static int zero(const uint8_t *panel, int64_t b, int j) { return panel[q4_zeros_at(b) + j]; }
  static float scale(const uint8_t *panel, int64_t b, int j) {
    uint16_t h;
    std::memcpy(&h, panel + q4_scales_at(b) + j * 2, 2);
    return bf16_to_f32(h);
  }

  // Scale, zero point and values of one block of a weight column (gemm.hpp).
  static void pack_block(const float *w, int64_t n, int64_t stride, uint8_t *panel, int64_t b, int jj) {
    float lo = 0.0f, hi = 0.0f;
    bool non_finite = false;
    for (int64_t i = 0; i < n; ++i) {
      const float v = w[i * stride];
      if (!std::isfinite(v)) non_finite = true;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    const float range = hi - lo;
    uint16_t scale = 0;
    if (non_finite || !std::isfinite(range)) scale = f32_to_bf16(__builtin_nanf(""));
    std::memcpy(panel + q4_scales_at(b) + jj * 2, &scale, 2);
    if (non_finite || !std::isfinite(range) || !(range >= kGemmI8MinScale)) return;  // values and zero stay 0
    scale = f32_to_bf16(range / 15.0f);
    std::memcpy(panel + q4_scales_at(b) + jj * 2, &scale, 2);
    const float s = bf16_to_f32(scale);
    auto clamp15 = [](float v) { return v < 0.0f ? 0.0f : (v > 15.0f ? 15.0f : v); };
    const float z = clamp15(std::nearbyint(-lo / s));
    panel[q4_zeros_at(b) + jj] = static_cast<uint8_t>(z);
    uint8_t *nib = panel + q4_nibbles_at(b);
    for (int64_t i = 0; i < n; ++i) {
      const auto q = static_cast<uint8_t>(clamp15(std::nearbyint(w[i * stride] / s) + z));
      nib[i / 4 * 32 + (jj % 8) * 4 + i % 4] |= static_cast<uint8_t>(jj < 8 ? q : q << 4);
    }
  }
};

}  // namespace

const Q4KernelSet &q4_kernels_portable() { return portable_block_kernels<Q4Format>(); }

}  // namespace gemm_detail

uint64_t gemm_q4_packed_bytes(int64_t k, int64_t n) { return gemm_detail::block_packed_bytes<gemm_detail::Q4Format>(k, n); }

void gemm_q4_pack(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n, void *out) {
  gemm_detail::pack_blocks<gemm_detail::Q4Format>(b, ldb, transposed, k, n, out);
}

}  // namespace qeff::kernels
