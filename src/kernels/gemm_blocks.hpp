// What the block-quantized storages (q4.strip128x32h and q4.strip128x128h in
// gemm_q4.cpp, mxfp6.panel16x32 in gemm_mx6.cpp) share: the portable microkernel and the
// packing loop, each a template over a Format type that knows one layout:
//
//   static constexpr int64_t kGroup;  // k per weight scale: 32 or 128
//   // a kernel's panel p (BlockArgs) as the value readers take it
//   static View view(const BlockArgs &g, int p);
//   // the integer value of column j (0..15) at k = 32 b + 4 q + t
//   static int value(const View &panel, int64_t b, int q, int j, int t);
//   static int zero(const View &panel, int64_t b, int j);     // 0 without zero points
//   static float scale(const View &panel, int64_t b, int j);  // the factor of the values
//   // bytes of a K x N weight, and where its panel p lies in them
//   static uint64_t packed_bytes(int64_t k, int64_t n);
//   static Panel panel(uint8_t *bytes, int64_t k, int64_t n, int64_t p);
//   // quantizes one group (n <= kGroup values, stride apart, k from
//   // kGroup g on) of column jj into its place in the panel
//   static void pack_group(const float *w, int64_t n, int64_t stride, const Panel &panel, int64_t g, int jj);
//
// ContiguousPanels is the Panel / View part of a layout whose panels lie one
// after the other, SuperBytes per 128 k (MXFP6); the 4-bit strips have their
// own (gemm_q4.cpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/gemm_internal.hpp"

namespace qeff::kernels::gemm_detail {

template <int64_t SuperBytes>
struct ContiguousPanels {
  using View = const uint8_t *;
  using Panel = uint8_t *;
  static View view(const BlockArgs &g, int p) { return g.b + p * g.panel_stride; }
  static int64_t panel_stride(int64_t k) { return contiguous_panel_stride(k, SuperBytes); }
  static uint64_t packed_bytes(int64_t k, int64_t n) {
    return static_cast<uint64_t>(ceil_div(n, kGemmPanel)) * static_cast<uint64_t>(panel_stride(k));
  }
  static Panel panel(uint8_t *bytes, int64_t k, int64_t, int64_t p) { return bytes + p * panel_stride(k); }
};

// The block product of gemm_internal.hpp (BlockArgs) in plain loops: the
// reference the ISA kernels are bit-identical to.
template <class Format, int MR, int NP>
struct PortableBlockKernel {
  static void run(const BlockArgs &g) {
    float acc[MR][NP * 16] = {};
    for (int64_t b = 0; b < g.nb; ++b)
      for (int p = 0; p < NP; ++p) {
        const auto panel = Format::view(g, p);
        for (int r = 0; r < MR; ++r) {
          const int8_t *a = g.qa + r * g.lda + b * kQ4Block;
          const float sa = g.a_scale[r * g.lds + b];
          const int32_t asum = g.a_sum[r * g.lds + b];
          for (int j = 0; j < 16; ++j) {
            int32_t s = 0;
            for (int q = 0; q < 8; ++q)
              for (int t = 0; t < 4; ++t) s += int32_t(a[q * 4 + t]) * Format::value(panel, b, q, j, t);
            const int32_t c = s - Format::zero(panel, b, j) * asum;
            float &out = acc[r][p * 16 + j];
            out = std::fma(static_cast<float>(c), Format::scale(panel, b, j) * sa, out);
          }
        }
      }
    for (int r = 0; r < MR; ++r)
      for (int j = 0; j < g.nr; ++j) g.c[r * g.ldc + j] = acc[r][j];
  }
};

template <class Format>
struct PortableBlockKernels {
  template <int MR, int NP>
  using type = PortableBlockKernel<Format, MR, NP>;
};

// The portable kernel set of a format: 4 x 16 tiles, decode 1 x 32.
template <class Format>
const QuantKernelSet<BlockArgs, BlockQuantize> &portable_block_kernels() {
  static const auto s =
      make_quant_kernel_set<QuantKernelSet<BlockArgs, BlockQuantize>, PortableBlockKernels<Format>::template type, 4,
                            1, 2>(quantize_blocks<quantize_span_portable>);
  return s;
}

// Packs B (gemm_pack's arguments) group by group of each column; padding is zero.
template <class Format>
void pack_blocks(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n, void *out) {
  auto *bytes = static_cast<uint8_t *>(out);
  if (k <= 0 || n <= 0) return;  // no bytes (out may be null)
  std::memset(bytes, 0, Format::packed_bytes(k, n));
  for_column_ranges(k, n, [&](int, int64_t c0, int64_t c1) {
    for (int64_t j = c0; j < c1; ++j) {
      const auto panel = Format::panel(bytes, k, n, j / kGemmPanel);
      for (int64_t g = 0; g * Format::kGroup < k; ++g) {
        const int64_t k0 = g * Format::kGroup;
        const float *w = transposed ? b + j * ldb + k0 : b + k0 * ldb + j;
        Format::pack_group(w, std::min(Format::kGroup, k - k0), transposed ? 1 : ldb, panel, g,
                           static_cast<int>(j % kGemmPanel));
      }
    }
  });
}

}  // namespace qeff::kernels::gemm_detail
