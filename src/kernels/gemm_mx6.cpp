// MXFP6 GEMM (mxfp6.panel16x32, gemm.hpp): the layout as a block format (the
// OCP MX quantization to E2M3 elements with an E8M0 scale per block of 32,
// where each code lives), over which gemm_blocks.hpp writes the packing loop
// and the portable kernel. The driver is in gemm_quant.cpp; the AVX2 kernels
// in gemm_mx6_avx2.cpp.
#include "kernels/gemm_blocks.hpp"

namespace qeff::kernels {
namespace gemm_detail {
namespace {

// x rounded to an integer, ties to even, for 0 <= x < 2^22: adding 1.5 2^23
// leaves no fraction bits, so the float adder rounds (in the default mode)
// exactly as nearbyint would, without a library call on baseline x86-64.
float round_half_even(float x) {
  volatile float big = 12582912.0f;  // volatile: the sum must be rounded to float, not folded
  return (x + big) - big;
}

// The E2M3 code nearest to y (ties to even, saturating at +-7.5); y finite.
uint8_t encode_e2m3(float y) {
  const float t = std::min(std::fabs(y) * 8.0f, 64.0f);  // the magnitude in eighths: 0..15 step 1, 16..30 step 2, 32..60 step 4
  int r;
  if (t < 16.0f)
    r = static_cast<int>(round_half_even(t));
  else if (t < 32.0f)
    r = 2 * static_cast<int>(round_half_even(t * 0.5f));
  else
    r = std::min(60, 4 * static_cast<int>(round_half_even(t * 0.25f)));
  int code;
  if (r < 16)
    code = r;  // exponent 0 (subnormal, m = r) or 1 (m = r - 8): the low 4 bits are r itself
  else if (r < 32)
    code = 16 | (r / 2 - 8);  // exponent 2
  else
    code = 24 | (r / 4 - 8);  // exponent 3
  if (r != 0 && std::signbit(y)) code |= 32;
  return static_cast<uint8_t>(code);
}

struct Mx6Format : ContiguousPanels<kMx6SuperBytes> {
  static constexpr int64_t kGroup = kQ4Block;

  // The E2M3 value x 8 of column j (0..15) for k = 4 q + t of block b.
  static int value(const uint8_t *panel, int64_t b, int q, int j, int t) {
    const int pos = (j % 8) * 4 + t;
    const uint8_t byte = panel[mx6_nibbles_at(b) + q * 32 + pos];
    const int low = j < 8 ? byte & 15 : byte >> 4;
    const int field = panel[mx6_high_at(b) + q / 2 * 32 + pos] >> (q % 2 * 4 + (j < 8 ? 0 : 2)) & 3;
    const int mag = field & 1 ? kMx6HighMagnitude[low] : low;
    return field & 2 ? -mag : mag;
  }
  static int zero(const uint8_t *, int64_t, int) { return 0; }
  static float scale(const uint8_t *panel, int64_t b, int j) { return mx6_scale(panel[mx6_scales_at(b) + j]); }

  // The scale byte and the codes of one block of a weight column (gemm.hpp).
  static void pack_group(const float *w, int64_t n, int64_t stride, uint8_t *panel, int64_t b, int jj) {
    float amax = 0.0f;
    bool non_finite = false;
    for (int64_t i = 0; i < n; ++i) {
      const float v = w[i * stride];
      if (!std::isfinite(v)) non_finite = true;
      else amax = std::max(amax, std::fabs(v));
    }
    uint8_t &scale = panel[mx6_scales_at(b) + jj];
    if (non_finite) scale = 255;
    if (non_finite || !(amax >= 0x1p-121f)) return;  // codes stay 0 (and the scale 0 for a tiny block)
    // amax >= 2^-121 is normal: its biased exponent field is floor(log2 amax) + 127.
    const int biased = static_cast<int>(__builtin_bit_cast(uint32_t, amax) >> 23);
    const int shared = biased - 127 - 2;  // X = 2^shared, in [-123, 125]
    scale = static_cast<uint8_t>(shared + 127);
    const float inv = __builtin_bit_cast(float, static_cast<uint32_t>(127 - shared) << 23);  // 1 / X, exact
    uint8_t *nib = panel + mx6_nibbles_at(b), *high = panel + mx6_high_at(b);
    for (int64_t i = 0; i < n; ++i) {
      const int code = encode_e2m3(w[i * stride] * inv);
      const int q = static_cast<int>(i / 4), pos = (jj % 8) * 4 + static_cast<int>(i % 4);
      nib[q * 32 + pos] |= static_cast<uint8_t>(jj < 8 ? code & 15 : (code & 15) << 4);
      high[q / 2 * 32 + pos] |= static_cast<uint8_t>((code >> 4) << (q % 2 * 4 + (jj < 8 ? 0 : 2)));
    }
  }
};

}  // namespace

const Mx6KernelSet &mx6_kernels_portable() { return portable_block_kernels<Mx6Format>(); }

}  // namespace gemm_detail

uint64_t gemm_mx6_packed_bytes(int64_t k, int64_t n) {
  return gemm_detail::Mx6Format::packed_bytes(k, n);
}

void gemm_mx6_pack(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n, void *out) {
  gemm_detail::pack_blocks<gemm_detail::Mx6Format>(b, ldb, transposed, k, n, out);
}

}  // namespace qeff::kernels
