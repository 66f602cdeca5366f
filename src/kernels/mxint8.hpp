// MXINT8 rows: the KV cache format of model.kv_cache_dtype = mxint8
// (QEfficient's mxint8_kv_cache; OCP Microscaling Formats v1.0, MXINT8).
//
// A row of d floats (one cached key or value of one head) is cut into blocks
// of 32 along d (the last one shorter when d % 32 != 0). Each block shares an
// E8M0 scale X = 2^e with e = floor(log2(max |x|)) clamped to [-127, 127];
// each element is q = round_half_even(x / X * 64) clamped to [-127, 127], an
// int8 whose value is q / 64 * X (so |x| / X in [1, 2) maps onto q <= 127 and
// nothing but the block's largest elements saturate). Stored as
//
//   [ q_0 .. q_{d-1} (int8) | E_0 .. E_{nb-1} (E8M0: e + 127) ]
//
// mxint8_row_bytes(d) = d + ceil(d / 32) bytes (66 for d = 64, 132 for 128).
// A block whose max |x| is 0 has E = 0 and q = 0. A block holding a NaN or an
// infinity has E = 255 (the E8M0 NaN) and reads back as NaN everywhere.
// Every value a row reads back as, q * 2^(E - 133), is an exact f32 (a
// subnormal for E < 7), so kernels that widen rows give exactly what f32 rows
// holding those values give.
#pragma once

#include <cstdint>

namespace qeff::kernels {

inline constexpr int64_t kMxBlock = 32;

inline constexpr int64_t mxint8_blocks(int64_t d) { return (d + kMxBlock - 1) / kMxBlock; }
inline constexpr int64_t mxint8_row_bytes(int64_t d) { return d + mxint8_blocks(d); }

// The d whose rows take `row_bytes` bytes, or -1 when no d does.
inline constexpr int64_t mxint8_dim_of_row(int64_t row_bytes) {
  for (int64_t d = row_bytes * 32 / 33 - 1; d <= row_bytes * 32 / 33 + 1; ++d)
    if (d >= 0 && mxint8_row_bytes(d) == row_bytes) return d;
  return -1;
}

// 2^(E - 133) for an E8M0 byte (NaN for 255): one int8 unit of that block.
float mxint8_unit(uint8_t e8m0);

// rows x d floats (row stride d) -> rows x mxint8_row_bytes(d) bytes.
void mxint8_quantize_rows(const float *x, int64_t rows, int64_t d, uint8_t *out);

// rows x mxint8_row_bytes(d) bytes (row stride `stride` bytes, >= that) ->
// rows x d floats (row stride d). Exact.
void mxint8_dequantize_rows(const uint8_t *in, int64_t stride, int64_t rows, int64_t d, float *out);

// The walk of mxint8_dequantize_rows: widen(q, n, unit, out) for each block
// of n <= 32 int8 elements and its unit (rowops_simd.hpp vectorizes widen).
template <class Widen>
void for_each_mxint8_block(const uint8_t *in, int64_t stride, int64_t rows, int64_t d, float *out, Widen widen) {
  const int64_t nb = mxint8_blocks(d);
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t *row = in + r * stride;
    for (int64_t b = 0; b < nb; ++b) {
      const int64_t c = b * kMxBlock;
      widen(reinterpret_cast<const int8_t *>(row) + c, (c + kMxBlock < d ? c + kMxBlock : d) - c,
            mxint8_unit(row[d + b]), out + r * d + c);
    }
  }
}

}  // namespace qeff::kernels
