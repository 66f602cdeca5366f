// AVX-512 VNNI + VBMI MXFP6 GEMM microkernels (mxfp6.panel16x32, gemm.hpp);
// A's blocks are quantized by quantize_blocks over the AVX-512 span quantizer.
//
// VBMI's vpermb looks a byte up in a 64-byte table by the index's low 6 bits,
// which is an E2M3 code: one vpermb turns 64 codes into their values x 8,
// signed, biased by +64 so that vpdpbusd takes them as its unsigned operand
// (4..124) and A's quad, int8 as it is, as the signed one. The bias comes off
// per block and row in int32 (c = sum - 64 sum(a), as 4-bit's zero point).
//
// A quad of k for 16 columns in column order: its 32 bytes of low 4 bits
// broadcast to both halves and shifted right by 0 / 4 per half (the 4-bit
// layout, quad_nibble_bytes); the 32 bytes of high 2-bit fields
// of its pair of quads broadcast likewise and rotated per dword so that the
// quad's field of each byte lands on bits 4 and 5 (exponent bit 1, sign: the
// code's bits 4 and 5); a bit select (vpternlogd) takes bits 0..3 from the
// former and 4..7 from the latter (vpermb ignores bits 6 and 7). Four
// operations and a vpdpbusd per quad and panel, none per row. Exact int32
// block sums, the same scaling as every ISA: bit-identical to the portable
// kernel. Tile 6 rows x 2 panels (12 int32 block sums, 12 f32 accumulators,
// the table, 2 weight vectors, A), decode 1 x 8 (1 x 4 with
// CpuTuning::narrow_gemv).
#include <immintrin.h>

#include "kernels/gemm_mx6_tile.hpp"

namespace qeff::kernels::gemm_detail {
namespace {

// The table: code c -> value x 8 + 64 (c's bit 5 the sign, bit 4 exponent
// bit 1, bits 0..3 the low bits).
struct BiasedValues {
  alignas(64) uint8_t v[64];
  constexpr BiasedValues() : v() {
    for (int c = 0; c < 64; ++c) {
      const int low = c & 15, mag = c & 16 ? kMx6HighMagnitude[low] : low;
      v[c] = static_cast<uint8_t>(64 + (c & 32 ? -mag : mag));
    }
  }
};
constexpr BiasedValues kBiased;

// The decoder of mx6_tile: a quad of one panel as its biased values.
struct TableDecoder {
  using Weights = __m512i;
  __m512i table = _mm512_load_si512(kBiased.v);

  // U: which quad of its pair. The field of quad U, half h (columns 0..7 or
  // 8..15) is at bits 4 U + 2 h of each high byte; a dword rotation left by
  // 4 - (4 U + 2 h) (mod 32) puts it on bits 4, 5 of the same byte.
  template <int U>
  __attribute__((always_inline)) __m512i decode(const uint8_t *nibbles, const uint8_t *high) const {
    constexpr int kLowHalf = (4 - 4 * U) & 31, kHighHalf = (2 - 4 * U) & 31;
    const __m512i rotate = _mm512_mask_set1_epi32(_mm512_set1_epi32(kLowHalf), 0xff00, kHighHalf);
    const __m512i low = quad_nibble_bytes(nibbles);
    const __m512i fields = _mm512_maskz_rolv_epi32(kAll, broadcast_halves(high), rotate);
    // Bits 0..3 from low, 4..7 from fields (0xe4: c ? a : b with c the mask).
    const __m512i code = _mm512_ternarylogic_epi32(low, fields, _mm512_set1_epi8(0x0f), 0xe4);
    return _mm512_maskz_permutexvar_epi8(~__mmask64{0}, code, table);
  }

  __attribute__((always_inline)) __m512i product(__m512i sum, __m512i w, __m512i a) const { return dpbusd(sum, w, a); }

  // The bias: c = sum - 64 sum(a), exact in int32.
  template <int MR, int NP>
  __attribute__((always_inline)) void finish(__m512i (&sum)[MR][NP], const BlockArgs &g, int64_t b) const {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512i bias = _mm512_set1_epi32(64 * g.a_sum[r * g.lds + b]);
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p) sum[r][p] = _mm512_sub_epi32(sum[r][p], bias);
    }
  }
};

template <int MR, int NP>
struct VbmiMx6Kernel {
  static void run(const BlockArgs &g) { mx6_tile<MR, NP>(g, TableDecoder{}); }
};

}  // namespace

const Mx6KernelSet &mx6_kernels_avx512vbmi() {
  static const Mx6KernelSet s =
      make_quant_kernel_set<Mx6KernelSet, VbmiMx6Kernel, 6, 2, 8, 4>(quantize_blocks<quantize_i8_span_avx512>);
  return s;
}

}  // namespace qeff::kernels::gemm_detail
