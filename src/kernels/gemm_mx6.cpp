// MXFP6 GEMM (mxfp6.panel16x32, gemm.hpp): weight packing (the OCP MX
// quantization to E2M3 elements with an E8M0 scale per block of 32), and the
// portable microkernel. The driver is in gemm_quant.cpp; the AVX2 kernels in
// gemm_mx6_avx2.cpp.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/gemm_internal.hpp"

namespace qeff::kernels {
namespace gemm_detail {
namespace {

// The 6-bit code of column j (0..15) for k = 4 q + t in a block.
int code_at(const uint8_t *nibbles, const uint8_t *high, int q, int j, int t) {
  const int pos = (j % 8) * 4 + t;
  const uint8_t byte = nibbles[q * 32 + pos];
  const int low = j < 8 ? byte & 15 : byte >> 4;
  const int field = high[q / 2 * 32 + pos] >> (q % 2 * 4 + (j < 8 ? 0 : 2)) & 3;
  return low | field << 4;
}

// An E2M3 code's value times 8.
int element_value(int code) {
  const int low = code & 15;
  const int mag = code & 16 ? kMx6HighMagnitude[low] : low;
  return code & 32 ? -mag : mag;
}

bool quantize_span_portable(const float *x, int64_t n, int8_t *q, float *scale) {
  return quantize_i8_span(x, n, 1, q, scale);
}

template <int MR, int NP>
struct PortableMx6Kernel {
  static void run(const BlockArgs &g) {
    float acc[MR][NP * 16] = {};
    for (int64_t b = 0; b < g.nb; ++b)
      for (int p = 0; p < NP; ++p) {
        const uint8_t *panel = g.b + p * g.panel_stride;
        const uint8_t *nib = panel + mx6_nibbles_at(b), *high = panel + mx6_high_at(b);
        const uint8_t *scales = panel + mx6_scales_at(b);
        for (int r = 0; r < MR; ++r) {
          const int8_t *a = g.qa + r * g.lda + b * kQ4Block;
          const float sa = g.a_scale[r * g.lds + b];
          for (int j = 0; j < 16; ++j) {
            int32_t c = 0;
            for (int q = 0; q < 8; ++q)
              for (int t = 0; t < 4; ++t) c += int32_t(a[q * 4 + t]) * element_value(code_at(nib, high, q, j, t));
            float &out = acc[r][p * 16 + j];
            out = std::fma(static_cast<float>(c), mx6_scale(scales[j]) * sa, out);
          }
        }
      }
    for (int r = 0; r < MR; ++r)
      for (int j = 0; j < g.nr; ++j) g.c[r * g.ldc + j] = acc[r][j];
  }
};

}  // namespace

const Mx6KernelSet &mx6_kernels_portable() {
  static const Mx6KernelSet s =
      make_quant_kernel_set<Mx6KernelSet, PortableMx6Kernel, 4, 1, 2>(quantize_blocks<quantize_span_portable>);
  return s;
}

}  // namespace gemm_detail

namespace {

using gemm_detail::ceil_div;
using gemm_detail::kQ4Block;

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

// The scale byte and the codes of one block of a weight column (gemm.hpp).
void quantize_weight_block(const float *w, int64_t n, int64_t stride, uint8_t *scale, uint8_t *codes) {
  float amax = 0.0f;
  bool non_finite = false;
  for (int64_t i = 0; i < n; ++i) {
    const float v = w[i * stride];
    if (!std::isfinite(v)) non_finite = true;
    else amax = std::max(amax, std::fabs(v));
  }
  std::memset(codes, 0, static_cast<size_t>(n));
  *scale = 0;
  if (non_finite) {
    *scale = 255;
    return;
  }
  if (!(amax >= 0x1p-121f)) return;
  // amax >= 2^-121 is normal: its biased exponent field is floor(log2 amax) + 127.
  const int biased = static_cast<int>(__builtin_bit_cast(uint32_t, amax) >> 23);
  const int shared = biased - 127 - 2;  // X = 2^shared, in [-123, 125]
  *scale = static_cast<uint8_t>(shared + 127);
  const float inv = __builtin_bit_cast(float, static_cast<uint32_t>(127 - shared) << 23);  // 1 / X, exact
  for (int64_t i = 0; i < n; ++i) codes[i] = encode_e2m3(w[i * stride] * inv);
}

}  // namespace

uint64_t gemm_mx6_packed_bytes(int64_t k, int64_t n) {
  return static_cast<uint64_t>(ceil_div(n, kGemmPanel)) * static_cast<uint64_t>(ceil_div(k, 4 * kQ4Block)) *
         gemm_detail::kMx6SuperBytes;
}

void gemm_mx6_pack(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n, void *out) {
  using namespace gemm_detail;
  auto *bytes = static_cast<uint8_t *>(out);
  if (k <= 0 || n <= 0) return;  // no bytes (out may be null)
  std::memset(bytes, 0, gemm_mx6_packed_bytes(k, n));
  const int64_t panel_stride = ceil_div(k, 4 * kQ4Block) * kMx6SuperBytes;
  for (int64_t j = 0; j < n; ++j) {
    uint8_t *panel = bytes + j / kGemmPanel * panel_stride;
    const int jj = static_cast<int>(j % kGemmPanel);
    for (int64_t blk = 0; blk * kQ4Block < k; ++blk) {
      const int64_t k0 = blk * kQ4Block, len = std::min(kQ4Block, k - k0);
      const float *w = transposed ? b + j * ldb + k0 : b + k0 * ldb + j;
      uint8_t codes[kQ4Block];
      quantize_weight_block(w, len, transposed ? 1 : ldb, panel + mx6_scales_at(blk) + jj, codes);
      uint8_t *nib = panel + mx6_nibbles_at(blk), *high = panel + mx6_high_at(blk);
      for (int64_t i = 0; i < len; ++i) {
        const int q = static_cast<int>(i / 4), pos = (jj % 8) * 4 + static_cast<int>(i % 4);
        const int low = codes[i] & 15, field = codes[i] >> 4;
        nib[q * 32 + pos] |= static_cast<uint8_t>(jj < 8 ? low : low << 4);
        high[q / 2 * 32 + pos] |= static_cast<uint8_t>(field << (q % 2 * 4 + (jj < 8 ? 0 : 2)));
      }
    }
  }
}

}  // namespace qeff::kernels
