// AMX int8 GEMM (i8.panel16x4, gemm.hpp): tdpbssd on 16 x 64-byte tiles.
//
// The packed weight is already the B-tile layout: a panel's quads of k are
// 64-byte rows (16 columns x 4 k), so 16 consecutive quads (64 k) are one B
// tile, loaded with stride 64. A is quantized signed by the shared row
// quantizer (tdpbssd multiplies signed by signed: no offset, no column sums).
// Blocking: 2 x 2 tiles, i.e. 32 rows x 2 panels of C in tmm0..3 (int32), A
// in tmm4..5, B in tmm6..7; per 64 k, 2 A and 2 B loads feed 4 tdpbssd. The
// last k step of a panel whose quads are not a multiple of 16 loads its B
// rows from a copy whose rows past the panel's quads are zero (a full tile
// would read into the next panel, or past the end of the weight for the
// last), so the A tile's bytes past the row's quads (the workspace's ldq is a
// multiple of 64; they are not written) meet zeros. Row blocks of 32 read the
// workspace's rows past M (it has them: gemm_quant.cpp); their sums are not
// stored.
//
// The int32 sums are exact (K <= kGemmI8MaxK), so they equal the other
// paths', and the scaling is theirs: C = float(sum) * (a_scale * b_scale),
// bit for bit. Tested on CPUs without AMX under the trap emulator of
// tests/support/amx_emulator.hpp, which runs these very instructions.
#include "kernels/simd.hpp"  // <immintrin.h>, GCC 12's false -Wuninitialized silenced

#include <cstring>

#include "kernels/amx.hpp"
#include "kernels/gemm_internal.hpp"

namespace qeff::kernels::gemm_detail {
namespace {

constexpr int64_t kStepQuads = amx::kMaxRows;   // quads of k per tile step (64 k)
constexpr int64_t kStepBytes = kStepQuads * 64;  // bytes of one panel's B tile

// One k step: C tiles += A tiles x B tiles, for the tiles in use (two row
// tiles when TwoRows, two panels when TwoPanels).
template <bool TwoRows, bool TwoPanels>
__attribute__((always_inline)) inline void step(const int8_t *a0, int64_t lda, const int8_t *b0, const int8_t *b1) {
  QEFF_TILE_LOAD(4, a0, lda);
  QEFF_TILE_LOAD(6, b0, 64);
  QEFF_TILE_DPBSSD(0, 4, 6);
  if constexpr (TwoPanels) {
    QEFF_TILE_LOAD(7, b1, 64);
    QEFF_TILE_DPBSSD(1, 4, 7);
  }
  if constexpr (TwoRows) {
    QEFF_TILE_LOAD(5, a0 + amx::kMaxRows * lda, lda);
    QEFF_TILE_DPBSSD(2, 5, 6);
    if constexpr (TwoPanels) QEFF_TILE_DPBSSD(3, 5, 7);
  }
}

// The sums of 32 rows x 2 panels starting at A row a and panel b0 over all of
// K, stored to acc (row stride 32 int32).
template <bool TwoRows, bool TwoPanels>
void sums(const I8Args &g, const int8_t *a, const int8_t *b0, int8_t (&tail)[2][kStepBytes], int32_t *acc) {
  const int8_t *b1 = b0 + g.panel_stride;
  QEFF_TILE_ZERO(0);
  QEFF_TILE_ZERO(1);
  QEFF_TILE_ZERO(2);
  QEFF_TILE_ZERO(3);
  const int64_t full = g.kq / kStepQuads, rest = g.kq % kStepQuads;
  for (int64_t s = 0; s < full; ++s)
    step<TwoRows, TwoPanels>(a + s * 64, g.lda, b0 + s * kStepBytes, b1 + s * kStepBytes);
  if (rest) {
    std::memcpy(tail[0], b0 + full * kStepBytes, static_cast<size_t>(rest) * 64);
    if constexpr (TwoPanels) std::memcpy(tail[1], b1 + full * kStepBytes, static_cast<size_t>(rest) * 64);
    step<TwoRows, TwoPanels>(a + full * 64, g.lda, tail[0], tail[1]);
  }
  constexpr long kLd = 32 * sizeof(int32_t);
  QEFF_TILE_STORE(0, acc, kLd);
  QEFF_TILE_STORE(1, acc + 16, kLd);
  QEFF_TILE_STORE(2, acc + 16 * 32, kLd);
  QEFF_TILE_STORE(3, acc + 16 * 32 + 16, kLd);
}

// C[r][j] = float(acc[r][j]) * (a_scale[r] * b_scale[j]) for r < rows, j < cols
// (at most 32 each), the other paths' operations.
void scale_out(const int32_t *acc, int64_t rows, int64_t cols, const float *a_scale, const float *b_scale, float *c,
               int64_t ldc) {
  for (int64_t r = 0; r < rows; ++r) {
    const __m512 sa = _mm512_set1_ps(a_scale[r]);
    for (int64_t h = 0; h * 16 < cols; ++h) {
      const int64_t n = cols - h * 16;
      const __mmask16 mask = n >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << n) - 1);
      const __m512 s = _mm512_mul_ps(sa, _mm512_maskz_loadu_ps(mask, b_scale + h * 16));
      const __m512i v = _mm512_maskz_loadu_epi32(mask, acc + r * 32 + h * 16);
      _mm512_mask_storeu_ps(c + r * ldc + h * 16, mask, _mm512_mul_ps(_mm512_maskz_cvtepi32_ps(mask, v), s));
    }
  }
}

void block(const I8Args &g, int64_t rows, int64_t panels) {
  alignas(64) int32_t acc[32 * 32];
  alignas(64) int8_t tail[2][kStepBytes];
  std::memset(tail, 0, sizeof tail);  // the copies fill only the first rows
  static const amx::TileConfig config = amx::full_tiles();
  amx::load_config(config);
  for (int64_t i = 0; i < rows; i += kAmxRowBlock) {
    const int64_t rb = std::min<int64_t>(kAmxRowBlock, rows - i);
    const int8_t *a = g.qa + i * g.lda;
    for (int64_t p = 0; p < panels; p += 2) {
      const int8_t *b0 = g.b + p * g.panel_stride;
      const bool two_rows = rb > amx::kMaxRows, two_panels = panels - p > 1;
      if (two_rows && two_panels) sums<true, true>(g, a, b0, tail, acc);
      else if (two_rows) sums<true, false>(g, a, b0, tail, acc);
      else if (two_panels) sums<false, true>(g, a, b0, tail, acc);
      else sums<false, false>(g, a, b0, tail, acc);
      const int64_t col0 = p * kGemmPanel;
      scale_out(acc, rb, std::min<int64_t>(2 * kGemmPanel, g.nr - col0), g.a_scale + i, g.b_scale + col0,
                g.c + i * g.ldc + col0, g.ldc);
    }
  }
  amx::release();
}

}  // namespace

const I8KernelSet &i8_kernels_amx() {
  static const I8KernelSet s = [] {
    I8KernelSet set;
    set.mr_max = static_cast<int>(kAmxRowBlock);
    set.np_max = 2;
    set.block = &block;
    set.quantize = &quantize_rows<quantize_i8_span_avx512>;
    return set;
  }();
  return s;
}

}  // namespace qeff::kernels::gemm_detail
