// 4-bit GEMM (q4.panel16x32, gemm.hpp): the layout as a block format (weight
// quantization with per-block scales and zero points, where each value
// lives), over which gemm_blocks.hpp writes the packing loop and the portable
// kernel. The driver is in gemm_quant.cpp; the AVX2 kernels in
// gemm_q4_avx2.cpp.
#include "common/error.hpp"
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
    return f16_to_f32(h);
  }

  // The writers of one block's fields for column jj (0..15): its f16 scale,
  // its zero point, and value q at k = 32 b + i (ORed into zeroed bytes).
  static void put_scale(uint8_t *panel, int64_t b, int jj, uint16_t scale) {
    std::memcpy(panel + q4_scales_at(b) + jj * 2, &scale, 2);
  }
  static void put_zero(uint8_t *panel, int64_t b, int jj, uint8_t zero) { panel[q4_zeros_at(b) + jj] = zero; }
  static void put_value(uint8_t *panel, int64_t b, int jj, int64_t i, uint8_t q) {
    panel[q4_nibbles_at(b) + i / 4 * 32 + (jj % 8) * 4 + i % 4] |= static_cast<uint8_t>(jj < 8 ? q : q << 4);
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
    if (non_finite || !std::isfinite(range)) put_scale(panel, b, jj, f32_to_f16(__builtin_nanf("")));
    if (non_finite || !std::isfinite(range) || !(range >= kGemmI8MinScale)) return;  // values and zero stay 0
    // f16 saturates at kF16Max (a block spanning more than 15 x 65504 clamps
    // its values); a scale that rounds to f16 zero leaves the block zero.
    const uint16_t scale = f32_to_f16(std::min(range / 15.0f, kF16Max));
    const float s = f16_to_f32(scale);
    if (!(s > 0.0f)) return;
    put_scale(panel, b, jj, scale);
    auto clamp15 = [](float v) { return v < 0.0f ? 0.0f : (v > 15.0f ? 15.0f : v); };
    const float z = clamp15(std::nearbyint(-lo / s));
    put_zero(panel, b, jj, static_cast<uint8_t>(z));
    for (int64_t i = 0; i < n; ++i)
      put_value(panel, b, jj, i, static_cast<uint8_t>(clamp15(std::nearbyint(w[i * stride] / s) + z)));
  }
};

}  // namespace

const Q4KernelSet &q4_kernels_portable() { return portable_block_kernels<Q4Format>(); }

}  // namespace gemm_detail

uint64_t gemm_q4_packed_bytes(int64_t k, int64_t n) { return gemm_detail::block_packed_bytes<gemm_detail::Q4Format>(k, n); }

void gemm_q4_pack(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n, void *out) {
  gemm_detail::pack_blocks<gemm_detail::Q4Format>(b, ldb, transposed, k, n, out);
}

bool gemm_q4_values_fit(int64_t k, int64_t group) {
  return k > 0 && group > 0 && (group >= k || group % gemm_detail::kQ4Block == 0);
}

void gemm_q4_pack_values(const Q4Values &v, int64_t k, int64_t n, void *out) {
  using namespace gemm_detail;
  auto *bytes = static_cast<uint8_t *>(out);
  if (k <= 0 || n <= 0) return;
  if (!gemm_q4_values_fit(k, v.group)) fail(QEFF_E_INTERNAL, "gemm_q4_pack_values: group size does not fit");
  std::memset(bytes, 0, gemm_q4_packed_bytes(k, n));
  const int64_t panel_stride = ceil_div(k, 4 * kQ4Block) * kQ4SuperBytes;
  const int64_t groups = ceil_div(k, v.group), row_bytes = ceil_div(k, int64_t{2});
  for (int64_t j = 0; j < n; ++j) {
    uint8_t *panel = bytes + j / kGemmPanel * panel_stride;
    const int jj = static_cast<int>(j % kGemmPanel);
    const uint8_t *row = v.nibbles + j * row_bytes;
    for (int64_t blk = 0; blk * kQ4Block < k; ++blk) {
      const int64_t k0 = blk * kQ4Block, g = k0 / v.group;
      Q4Format::put_scale(panel, blk, jj, v.scale_f16[j * groups + g]);
      Q4Format::put_zero(panel, blk, jj, v.zero[j * groups + g]);
      for (int64_t i = 0; i < std::min(kQ4Block, k - k0); ++i) {
        const int64_t kk = k0 + i;
        Q4Format::put_value(panel, blk, jj, i, static_cast<uint8_t>((row[kk / 2] >> (kk % 2 * 4)) & 15));
      }
    }
  }
}

}  // namespace qeff::kernels
