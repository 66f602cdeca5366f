// Single-precision matrix products for the linear ops (ops/linear.cpp): a GEMM
// over a weight packed once at compile time, and a batched GEMM over two
// run-time operands. Own microkernels (portable C++, AVX2+FMA, AVX-512) chosen
// by kernels::active_isa(); docs/kernels.md ("## GEMM") has the measurements
// against OpenBLAS and oneDNN that led to this design.
//
// Packed layout (the same on every ISA, so a package built on one CPU runs on
// any other): the N columns are cut into panels of kGemmPanel = 16 columns (the
// last zero-padded); panel p holds rows k = 0..K-1 of its 16 columns, each row
// contiguous, at element offset p * K * 16. Storage is f32, bf16 (the upper
// half of the f32 bits, rounded to nearest even) or f16 (IEEE half, rounded to
// nearest even; weights beyond +-65504, infinities included, saturate there as
// QEfficient's FP16 clipping does; NaN stays NaN); the arithmetic is f32 every
// way. The format name is "f32.panel16", "bf16.panel16" or "f16.panel16".
//
// int8 ("i8.panel16x4", W8A8): each weight column j is quantized symmetrically,
// q = round(w / s_j) in [-127, 127] with s_j = max_k |w[k][j]| / 127; at run
// time each row i of A likewise (dynamic per-token quantization, s_i =
// max_k |a[i][k]| / 127), and C[i][j] = float(sum_k qa[i][k] qw[k][j]) *
// (s_i * s_j): the sum is exact in int32 on every ISA, so every path gives
// bit-identical results. Layout, P = ceil(N / 16) panels, Q = ceil(K / 4):
//   f32 scale[16 P]  (s_j; 0 for padded columns, NaN for a non-finite column)
//   i32 colsum[16 P] (sum_k qw[k][j], for kernels that offset A to unsigned)
//   i8  weights: panel p at p * Q * 64; in it quad q (k = 4q..4q+3) at q * 64,
//       column j's 4 values at j * 4 (k past K are 0): the VNNI / AMX tile
//       layout, 16 columns x 4 k per 64 bytes.
// A row of A holding a NaN or an infinity gives NaN in every output of the row;
// a row whose largest magnitude is below kGemmI8MinScale quantizes to zero.
//
// 4-bit ("q4.strip128x32h" and "q4.strip128x128h", W4A8): K is cut into
// groups of G = 32 (q4) or 128 (q4g128); each (group g, column j) of the
// weight is quantized asymmetrically at compile time over [lo, hi] =
// [min(0, min w), max(0, max w)]: s = f16((hi - lo) / 15) (IEEE half, rounded
// to nearest even, saturated at kF16Max), z = clamp(round(-lo / s), 0, 15),
// q = clamp(round(w / s) + z, 0, 15), so w ~ s (q - z), the form of AWQ /
// GPTQ / compressed-tensors int4 checkpoints, whose values
// gemm_q4_pack_values stores unchanged (their zero points may be any u8).
// Each block of 32 of a row of A is quantized at run time as an int8 row is
// (its own scale, so an outlier in one block does not coarsen the others).
// C[i][j] accumulates, block of 32 by block with an fma, float(sum_k qa qw -
// z sum_k qa) * (s_w * s_a) (s_w, z: the block's group's): exact integer sums
// and the same float operations on every ISA, so every path is bit-identical.
// Layout: P = ceil(N / 16) panels of 16 columns; each quad of k of a panel
// is 32 bytes (byte 4 j + t, j < 8, holds k = 4 q + t of column j in its low
// nibble and of column j + 8 in its high one). The first 8 floor(P / 8)
// panels form strips of W = 8 panels (128 columns), which interleave their
// panels quad by quad; each later panel stands alone (W = 1). K is padded to
// a multiple of 128; the W panels are a sequence of groups, each
//   fields: per panel l (at 48 l) f16 scale[16] then u8 zero[16], the whole
//           padded to a multiple of 64 bytes (384 bytes for W = 8, 64 for 1)
//   nibbles: G / 4 quads of k, each W x 32 bytes (panel l's at 32 l)
// so a single-row kernel reads a strip as one sequential stream, each group's
// fields before its values. Strips first (strip s at s ceil(K / 128) times
// 9728 bytes for q4, 8576 for q4g128: 4.75 and 4.1875 bits per weight), then
// the panels past them (ceil(K / 128) times 1280 or 1088 bytes each). A
// column group holding a NaN or an infinity has scale NaN (NaN in that
// column); a group with hi - lo below kGemmI8MinScale, or whose scale rounds
// to f16 zero, has scale 0; padding is zero. (Earlier builds' layouts, each
// panel on its own, "q4.panel16x32h" and "q4.panel16x128h", and with bf16
// scales "q4.panel16x32", no longer load.)
//
// MXFP6 ("mxfp6.panel16x32", W6A8, OCP Microscaling MXFP6 E2M3): each block
// of 32 along K of each weight column shares an E8M0 scale X = 2^(floor(log2
// amax) - 2) (amax: the block's largest magnitude; 2 is E2M3's largest
// exponent) and each value is stored as the FP6 E2M3 number nearest to w / X
// (ties to even, saturating at +-7.5): sign, 2 exponent bits (bias 1), 3
// mantissa bits. An element times 8 is an integer in [-60, 60], so the
// arithmetic is the 4-bit one without a zero point: c = sum_k qa (8 e) exact
// in int32, acc = fma(float(c), 2^(E - 130) * s_a, acc) for the scale byte E.
// A block whose amax is below 2^-121 is stored as zero (scale byte 0), one
// holding a NaN or an infinity gets the NaN scale byte 255. Layout: P panels
// of 16 columns, each ceil(K / 128) superblocks of 1600 bytes (4 blocks):
// 4 x 256 bytes of the codes' low 4 bits (exponent bit 0, mantissa) in the
// q4 nibble layout, 4 x 128 bytes of their high 2 bits (bit 0 exponent bit 1,
// bit 1 sign): the block's quads 2 u and 2 u + 1 at u * 32, whose byte i
// holds the fields of the values at nibble byte i of quad 2 u (column j's in
// bits 0-1, column j + 8's in bits 2-3) and of quad 2 u + 1 (bits 4-5, 6-7),
// then the u8 scale[4][16]: 6.25 bits per weight.
//
// Threads: every entry point splits its work through the given Parallel (the
// caller owns the threads) and calls nothing that starts threads of its own.
// The functions keep no state, so any number of calls may run at once on
// different threads with different outputs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kernels/activation.hpp"
#include "kernels/half.hpp"
#include "kernels/parallel.hpp"

namespace qeff::kernels {

inline constexpr int64_t kGemmPanel = 16;

enum class GemmStorage { f32 = 0, bf16 = 1, i8 = 2, q4 = 3, mx6 = 4, f16 = 5, q4g128 = 6 };

// The largest finite f16; f16 packing saturates weights (infinities too) to +-this.
inline constexpr float kF16Max = 65504.0f;

// int8: rows of A (and weight columns) with max |x| below this quantize to 0
// (127 / max would overflow); K above kGemmI8MaxK could overflow the int32 sum.
inline constexpr float kGemmI8MinScale = 1e-30f;
inline constexpr int64_t kGemmI8MaxK = 131072;

// "f32.panel16", "bf16.panel16", "f16.panel16", "i8.panel16x4", "q4.strip128x32h",
// "q4.strip128x128h", "mxfp6.panel16x32". A changed layout gets a new name, so a package (or a
// compile-cache entry, whose key holds every name) of an older build cannot
// be read under the new layout.
const char *gemm_format_name(GemmStorage s);
// Every format name, comma-separated (part of the compile cache's key).
const std::string &gemm_format_list();
// The storage of a format name; false for an unknown name.
bool parse_gemm_format(std::string_view name, GemmStorage *out);

// Bytes of a packed K x N weight (a multiple of 64).
uint64_t gemm_packed_bytes(int64_t k, int64_t n, GemmStorage s);

// Packs the K x N matrix B into `out` (gemm_packed_bytes(k, n, s) bytes, any
// alignment; 64-byte alignment makes the kernels faster). b is row-major with
// row stride ldb: B[k][n] = b[k * ldb + n], or, when transposed,
// B[k][n] = b[n * ldb + k] (a [N, K] weight such as a HF Linear's). For i8,
// K must be at most kGemmI8MaxK (the caller checks). Packing is deterministic:
// the same input gives the same bytes.
void gemm_pack(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n, GemmStorage s,
               void *out);

// Tests only: gemm_pack cuts every weight, whatever its size, into `ranges`
// ranges of panels packed on as many threads (0: the default, several threads
// only for weights of 2^20 elements or more, docs/kernels.md "Packing").
void gemm_pack_ranges_for_tests(int ranges);

// A 4-bit weight quantized elsewhere (an AWQ / GPTQ / compressed-tensors
// checkpoint), as the N x K matrix W = B^T of a Linear ([out, in]):
//   W[n][k] = f16 scale[n][k / group] * (value[n][k] - zero[n][k / group])
// values: N rows of ceil(K / 2) bytes, k even in the low nibble; scale (f16
// bits) and zero: N rows of ceil(K / group).
struct Q4Values {
  const uint8_t *nibbles = nullptr;
  const uint16_t *scale_f16 = nullptr;
  const uint8_t *zero = nullptr;
  int64_t group = 0;
};
// Whether such groups map onto the groups of 4-bit storage s (q4: 32 k per
// scale, q4g128: 128): group a multiple of those, or one group spanning all
// of K.
bool gemm_q4_values_fit(int64_t k, int64_t group, GemmStorage s);
// Packs them as storage s (gemm_packed_bytes(k, n, s) bytes) without
// requantizing: every group of s takes its checkpoint group's scale and zero
// point. Needs gemm_q4_values_fit(k, group, s).
void gemm_q4_pack_values(const Q4Values &v, int64_t k, int64_t n, GemmStorage s, void *out);

// A packed weight (borrowed bytes).
struct PackedB {
  const void *data = nullptr;
  int64_t k = 0, n = 0;
  GemmStorage storage = GemmStorage::f32;
};

// Applied to each finished tile of C, in this order:
//   C = activation(C + bias) + residual
struct GemmEpilogue {
  const float *bias = nullptr;      // [N], or nullptr
  Activation activation = Activation::none;
  const float *residual = nullptr;  // M x N with row stride ldr, or nullptr; must not overlap C
  int64_t ldr = 0;
};

// Workspace gemm_packed needs for M rows of A (0 except for i8, q4 and mx6
// storage, which quantize A into it).
uint64_t gemm_packed_workspace(int64_t m, const PackedB &b);

// C = epilogue(A B) for A M x K (row stride lda) and a packed B; C is M x N
// with row stride ldc and must not overlap A, B or the residual. Splits the
// work over blocks of rows and columns (M = 1 still uses every thread).
// workspace: gemm_packed_workspace(m, b) bytes, 64-byte aligned (may be
// nullptr when that is 0).
void gemm_packed(int64_t m, const float *a, int64_t lda, const PackedB &b, float *c, int64_t ldc,
                 const GemmEpilogue &ep, Parallel &par, void *workspace = nullptr);

// One product of a group sharing A (gemm_packed_group): its packed B, its C
// (row stride ldc) and its epilogue.
struct GemmMember {
  PackedB b;
  float *c = nullptr;
  int64_t ldc = 0;
  GemmEpilogue ep;
};

inline constexpr int kGemmMaxGroup = 8;

// Whether a storage quantizes A at run time (i8, q4, mx6): the products of a
// group of such weights share one quantization of A.
bool gemm_quantizes_a(GemmStorage s);

// Workspace of gemm_packed_group: the largest member's gemm_packed_workspace.
uint64_t gemm_packed_group_workspace(int64_t m, const GemmMember *members, int count);

// Every member's C = epilogue(A B) for one A (M x K, row stride lda), each
// bit for bit what gemm_packed gives it: members of one storage and one K,
// taken kGemmMaxGroup at a time. With a storage that quantizes A, A is quantized
// once and every member's tiles run as one task list (one hand-off to the
// pool instead of one per product); other storages run gemm_packed per
// member.
void gemm_packed_group(int64_t m, const float *a, int64_t lda, const GemmMember *members, int count, Parallel &par,
                       void *workspace = nullptr);

// A batch of products of run-time operands: for i < batch,
//   C_i = epilogue(op(A_{a_index[i]}) op(B_{b_index[i]}))
// where matrix j of A starts at a + j * a_stride and is M x K (row stride lda),
// or K x M when trans_a; matrix j of B starts at b + j * b_stride and is K x N
// (row stride ldb), or N x K when trans_b; C_i starts at c + i * c_stride, row
// stride ldc (residual likewise with ldr and c_stride). num_a / num_b count the
// distinct A / B matrices (every index is below them); each is packed once per
// call into the workspace, so broadcasting a matrix over the batch costs one
// packing. The bias, if any, is [N] for all i.
struct GemmBatch {
  int64_t batch = 1, m = 0, n = 0, k = 0;
  const float *a = nullptr;
  int64_t lda = 0, a_stride = 0, num_a = 1;
  bool trans_a = false;
  const int64_t *a_index = nullptr;  // nullptr: a_index[i] = i % num_a
  const float *b = nullptr;
  int64_t ldb = 0, b_stride = 0, num_b = 1;
  bool trans_b = false;
  const int64_t *b_index = nullptr;  // nullptr: b_index[i] = i % num_b
  float *c = nullptr;
  int64_t ldc = 0, c_stride = 0;
  GemmEpilogue ep;
  int64_t residual_stride = 0;
};

// Workspace gemm_batched needs for these sizes (64-byte aligned pieces).
uint64_t gemm_batched_workspace(const GemmBatch &g);
// Runs the batch; workspace holds gemm_batched_workspace(g) bytes, 64-byte aligned.
void gemm_batched(const GemmBatch &g, void *workspace, Parallel &par);

}  // namespace qeff::kernels
