// The contract between the GEMM driver (gemm.cpp: blocking, partitioning,
// packing, epilogues) and the per-ISA microkernels (gemm.cpp portable,
// gemm_avx2.cpp, gemm_avx512.cpp). Only the microkernels differ per ISA, so the
// driver is written and tested once.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <utility>

#include "kernels/gemm.hpp"

namespace qeff::kernels::gemm_detail {

// One microtile: C[0..mr) x [0..nr) (=|+=) A[0..mr) x [0..kc) * B, where B is
// np panels of 16 columns starting at row k0 (b points at that row of the
// first panel; panel q starts at b + q * panel_stride elements, rows 16
// elements apart). A is row-major with row stride lda (already offset to k0).
// mr <= MR and nr <= np * 16 of the kernel set; padded panel columns past nr
// are computed but never stored, so C may end at column nr.
struct MicroArgs {
  int64_t kc = 0;
  const float *a = nullptr;
  int64_t lda = 0;
  const void *b = nullptr;  // float, uint16_t (bf16) or F16Bits, per the kernel
  int64_t panel_stride = 0;
  float *c = nullptr;
  int64_t ldc = 0;
  int nr = 0;
  bool accumulate = false;  // add to C instead of overwriting it
  // B is read from memory by this tile with little reuse after it (a row
  // block of at most kStreamRowTiles row tiles): prefetch it ahead, as the
  // single-row kernels do.
  bool stream = false;
};

// Row blocks of at most this many row tiles stream their B (MicroArgs::stream).
inline constexpr int kStreamRowTiles = 4;

using MicroKernel = void (*)(const MicroArgs &);

// An IEEE half as stored in an f16 panel (kernels/half.hpp; a distinct type
// from bf16's uint16_t, so kernels overload their loads on it).
using kernels::F16Bits;

inline constexpr int kMaxMr = 16;
inline constexpr int kMaxNp = 2;

// The kernels of one ISA: mr x (np panels) tiles, indexed [np - 1][mr - 1]
// for every mr in 1..mr_max and np in 1..np_max.
//
// A single row (M = 1 decode) would leave one FMA chain per vector waiting on
// the FMA latency, so it gets a wide kernel of its own: 1 row x np panels,
// and a narrower one (fewer read streams) that CpuTuning::narrow_gemv picks.
// Every kernel sums each output over k in the same order, so a row's result
// does not depend on which kernel computed it.
struct RowKernels {
  int np = 0;
  MicroKernel f32 = nullptr;
  MicroKernel bf16 = nullptr;
  MicroKernel f16 = nullptr;
};

struct KernelSet {
  int mr_max = 0;
  int np_max = 0;
  MicroKernel f32[kMaxNp][kMaxMr] = {};
  MicroKernel bf16[kMaxNp][kMaxMr] = {};
  MicroKernel f16[kMaxNp][kMaxMr] = {};
  RowKernels gemv;
  RowKernels gemv_narrow;  // np <= gemv.np
  const RowKernels &row(bool narrow) const { return narrow ? gemv_narrow : gemv; }
};

// Built once per ISA; the AVX2/AVX-512 sets live in their own libraries and
// may only be called when kernels::isa_supported() says so.
const KernelSet &kernels_portable();
const KernelSet &kernels_avx2();
const KernelSet &kernels_avx512();

// Fills a KernelSet from a template Kernel<MR, NP, BT> (BT = float,
// uint16_t for bf16 or F16Bits): shared by every ISA file so the tables are built one way.
template <template <int, int, class> class Kernel, int NP, int... Ms>
void fill_kernels(KernelSet &s, std::integer_sequence<int, Ms...>) {
  ((s.f32[NP - 1][Ms] = &Kernel<Ms + 1, NP, float>::run,
    s.bf16[NP - 1][Ms] = &Kernel<Ms + 1, NP, uint16_t>::run, s.f16[NP - 1][Ms] = &Kernel<Ms + 1, NP, F16Bits>::run),
   ...);
}

template <template <int, int, class> class Kernel, int NP>
RowKernels row_kernels() {
  return {NP, &Kernel<1, NP, float>::run, &Kernel<1, NP, uint16_t>::run, &Kernel<1, NP, F16Bits>::run};
}

template <template <int, int, class> class Kernel, int MR, int NP, int GEMV_NP, int NARROW_NP = GEMV_NP>
KernelSet make_kernel_set() {
  static_assert(MR >= 1 && MR <= kMaxMr && NP >= 1 && NP <= kMaxNp && GEMV_NP >= NARROW_NP && NARROW_NP >= NP);
  KernelSet s;
  s.mr_max = MR;
  s.np_max = NP;
  s.gemv = row_kernels<Kernel, GEMV_NP>();
  s.gemv_narrow = row_kernels<Kernel, NARROW_NP>();
  fill_kernels<Kernel, 1>(s, std::make_integer_sequence<int, MR>{});
  if constexpr (NP == 2) fill_kernels<Kernel, 2>(s, std::make_integer_sequence<int, MR>{});
  return s;
}

// ---- int8 (i8.panel16x4, see gemm.hpp)

// One int8 microtile over the whole of K (no K blocking: the int32 sums stay
// in registers): for r < mr, j < nr,
//   C[r][j] = float(sum_{q < kq} sum_{t < 4} qa[r][4q + t] * w[q][j][t]) * (a_scale[r] * b_scale[j])
// where w is np panels starting at b (panel q at b + q * panel_stride bytes,
// quads 64 bytes apart) and qa is row-major int8 with row stride lda bytes,
// zero-padded to 4 kq. The product of the scales is taken first, then one
// multiply, so every ISA rounds identically. Columns past nr are not stored.
struct I8Args {
  int64_t kq = 0;  // quads of K
  const int8_t *qa = nullptr;
  int64_t lda = 0;
  const float *a_scale = nullptr;
  const int8_t *b = nullptr;
  int64_t panel_stride = 0;
  const float *b_scale = nullptr;
  const int32_t *b_sum = nullptr;  // the columns' sums of w (for unsigned-A kernels)
  float *c = nullptr;
  int64_t ldc = 0;
  int nr = 0;
};

// Quantizes rows [0, rows) of A (K columns, row stride lda) into q (row stride
// ldq >= 4 ceil(K / 4) bytes, zero-padded) and scale[rows], as gemm.hpp says.
using I8Quantize = void (*)(const float *a, int64_t lda, int64_t rows, int64_t k, int8_t *q, int64_t ldq,
                            float *scale);

// The kernels of one quantized storage on one ISA: mr x (np panels) tiles,
// indexed [np - 1][mr - 1], a single-row (decode) kernel over gemv_np panels,
// and the row quantizer of A. A set with a `block` kernel (AMX) has no tiles:
// block computes `rows` rows x `panels` panels at once (args at the block's
// first row and panel; nr: the block's columns), so that per-call set-up (the
// tile configuration) is paid once per block.
template <class Args, class Quantize>
struct QuantKernelSet {
  using args_type = Args;
  using quantize_type = Quantize;
  int mr_max = 0;
  int np_max = 0;
  void (*tile[kMaxNp][kMaxMr])(const Args &) = {};
  struct Row {
    int np = 0;
    void (*run)(const Args &) = nullptr;
  };
  Row gemv;         // the single-row kernel
  Row gemv_narrow;  // a narrower one (CpuTuning::narrow_gemv), np <= gemv.np
  const Row &row(bool narrow) const { return narrow ? gemv_narrow : gemv; }
  void (*block)(const Args &, int64_t rows, int64_t panels) = nullptr;
  Quantize quantize = nullptr;
};

using I8KernelSet = QuantKernelSet<I8Args, I8Quantize>;

const I8KernelSet &i8_kernels_portable();
// AVX2 (maddubs with the sign trick; also what AVX-512 CPUs without VNNI run).
const I8KernelSet &i8_kernels_avx2();
// AVX-512 VNNI (vpdpbusd; its quantizer stores A offset to unsigned, a + 128,
// so only its own tiles may read what it wrote).
const I8KernelSet &i8_kernels_avx512vnni();
// AMX (tdpbssd, gemm_i8_amx.cpp): a block kernel over row blocks of
// kAmxRowBlock rows, its quantizer the shared signed one (quantize_rows); it
// reads the workspace's rows up to a multiple of kAmxRowBlock (the
// workspace has them; the sums of rows past M are not stored). Products of
// fewer than kAmxMinRows rows run the VNNI set instead.
const I8KernelSet &i8_kernels_amx();
inline constexpr int64_t kAmxRowBlock = 32;
inline constexpr int64_t kAmxMinRows = 16;

// The scale of a row (or weight column) from its largest finite magnitude and
// whether it holds a NaN or an infinity; false when it quantizes to all zeros
// (scale NaN for a non-finite row, 0 for a tiny one), else inv = 1 / scale.
inline bool i8_scale(float amax, bool non_finite, float *scale, float *inv) {
  if (non_finite) {
    *scale = __builtin_nanf("");
    return false;
  }
  if (!(amax >= kGemmI8MinScale)) {
    *scale = 0.0f;
    return false;
  }
  *scale = amax / 127.0f;
  *inv = 127.0f / amax;
  return true;
}

// The end of an ISA span quantizer's first pass, shared by every ISA: the
// vector lanes' largest magnitudes (`lanes`, n of them), the scalar tail
// x[i..k) and whether a non-finite value was seen give the scale (i8_scale);
// false when the span quantizes to zeros (q zeroed), else inv is set.
inline bool span_scale(const float *lanes, int n, const float *x, int64_t i, int64_t k, bool non_finite, int8_t *q,
                       float *scale, float *inv) {
  float amax = 0.0f;
  for (int l = 0; l < n; ++l) amax = lanes[l] > amax ? lanes[l] : amax;
  for (; i < k; ++i) {
    const float m = __builtin_fabsf(x[i]);
    if (!(m < __builtin_inff())) non_finite = true;
    else amax = m > amax ? m : amax;
  }
  if (i8_scale(amax, non_finite, scale, inv)) return true;
  if (k > 0) __builtin_memset(q, 0, static_cast<size_t>(k));
  return false;
}

// The scalar quantization of one value, shared by every ISA's tail loop:
// round half to even (the default rounding mode, as cvtps2dq), clamped.
inline int8_t quantize_i8(float x, float inv) {
  float v = __builtin_nearbyintf(x * inv);
  v = v > 127.0f ? 127.0f : (v < -127.0f ? -127.0f : v);
  return static_cast<int8_t>(v);
}

// ---- 4-bit (q4.strip128x32h and q4.strip128x128h, see gemm.hpp)

inline constexpr int64_t kQ4Block = 32;  // k per block of A (and per integer sum in the kernels)
// Panels interleaved quad by quad in one strip (gemm.hpp): a single-row
// kernel over a strip reads one sequential stream instead of 8.
inline constexpr int kQ4Strip = 8;

// One microtile of a block-quantized storage (q4, mx6): for r < mr, j < nr,
// with blocks b < nb in order,
//   c_b = sum_{k in b} qa[r][k] * qw[k][j] - zero[b][j] * a_sum[r][b]   (exact int32)
//   acc = fma(float(c_b), scale[b][j] * a_scale[r][b], acc)            (from acc = 0)
//   C[r][j] = acc
// (mx6: qw is the signed element value times 8, no zero point, and scale is
// the block's power of two over 8). b points at panel 0 of np (panel q at
// b + q * panel_stride bytes); qa is row-major int8, row stride lda bytes,
// zero-padded to 32 nb; a_scale and a_sum are [row][block] with row stride
// lds. The same operations in the same order on every ISA, so every path is
// bit-identical.
struct BlockArgs {
  int64_t nb = 0;  // blocks of 32 k
  const int8_t *qa = nullptr;
  int64_t lda = 0;
  const float *a_scale = nullptr;
  const int32_t *a_sum = nullptr;
  int64_t lds = 0;
  const uint8_t *b = nullptr;
  int64_t panel_stride = 0;
  int64_t meta_offset = 0;  // q4: from b to panel 0's scales and zero points
  int64_t far_prefetch = 0;  // q4 strips, single row: a second prefetch this far past the first (0: none)
  float *c = nullptr;
  int64_t ldc = 0;
  int nr = 0;
};

// Quantizes rows [0, rows) of A in blocks of 32: q (row stride ldq >= 32
// ceil(K / 32), zero-padded), scale and sum of each block's q ([row][block],
// row stride lds). A block is quantized as an int8 row is (gemm.hpp).
using BlockQuantize = void (*)(const float *a, int64_t lda, int64_t rows, int64_t k, int8_t *q, int64_t ldq,
                            float *scale, int32_t *sum, int64_t lds);

using Q4KernelSet = QuantKernelSet<BlockArgs, BlockQuantize>;

// Where the fields of one 4-bit layout lie (gemm.hpp) for panels interleaved
// W at a time: W = kQ4Strip in a strip, 1 for the panels past the last whole
// strip. Group k share one weight scale and zero point (32 or 128). The W
// panels are a sequence of groups, each the W lanes' 48-byte fields (f16
// scale[16], u8 zero[16]; lane l's at 48 l), padded to 64 bytes, then its
// Group / 4 quads of k, W x 32 bytes each (lane l's at 32 l): the order a
// single-row kernel reads them. K is padded to a multiple of 128 (a
// superblock). A kernel's panel p (lane l0 + p) has its nibbles at
// b + p nibble_step and its fields at b + meta_offset + p meta_step
// (BlockArgs); the offsets below are from those bases.
template <int64_t Group, int W>
struct Q4Layout {
  static_assert((Group == 32 || Group == 128) && (W == 1 || W == kQ4Strip));
  static constexpr int64_t kGroup = Group;
  static constexpr int kWidth = W;
  static constexpr int64_t kMetaBytes = 48;                        // per lane and group
  static constexpr int64_t kZeroOffset = 32;                       // zero[16] after scale[16] in them
  static constexpr int64_t kFieldBytes = (W * kMetaBytes + 63) / 64 * 64;  // per group
  static constexpr int64_t kQuadStep = W * 32;                     // between a lane's quads
  static constexpr int64_t kGroupBytes = kFieldBytes + Group / 4 * kQuadStep;
  static constexpr int64_t kSuperBytes = 128 / Group * kGroupBytes;  // 128 k
  // How far ahead of a strip's reads its kernel prefetches (the same place in
  // a later group): 3 groups (7296 bytes) with groups of 32, one group (8576)
  // with groups of 128 (docs/kernels-quant.md, "Strips"). Decode GEMVs may also
  // prefetch each line twice as far into L2 (BlockArgs::far_prefetch =
  // kPrefetchBytes past the near one), which helps where memory answers
  // slowly and costs where it does not; the driver times both ways and takes
  // the faster (stream_tuner.hpp).
  static constexpr int64_t kPrefetchBytes = (Group == 32 ? 3 : 1) * kGroupBytes;

  // Block b's (k = 32 b ..) nibbles and its group's fields.
  static int64_t nibbles_at(int64_t b) {
    return b / (Group / 32) * kGroupBytes + kFieldBytes + b % (Group / 32) * 8 * kQuadStep;
  }
  static int64_t meta_at(int64_t b) { return b / (Group / 32) * kGroupBytes; }
  // Between adjacent panels of one kernel call: lanes of a strip, or whole
  // panels (panel_stride apart) when W is 1.
  static int64_t nibble_step(const BlockArgs &g) { return W == 1 ? g.panel_stride : 32; }
  static int64_t meta_step(const BlockArgs &g) { return W == 1 ? g.panel_stride : kMetaBytes; }
};

template <int W>
using Q4G32 = Q4Layout<32, W>;  // q4.strip128x32h
template <int W>
using Q4G128 = Q4Layout<128, W>;  // q4.strip128x128h

// Where panel p of a K x N 4-bit weight lies: the panels of the whole strips
// first (strip s at s * superblocks * Strip::kSuperBytes), then the others
// one by one, superblocks * Tail::kSuperBytes apart.
template <int64_t Group>
struct Q4Panels {
  using Strip = Q4Layout<Group, kQ4Strip>;
  using Tail = Q4Layout<Group, 1>;
  int64_t panels = 0, strips = 0, superblocks = 0;
  Q4Panels(int64_t k, int64_t n)
      : panels((n + kGemmPanel - 1) / kGemmPanel), strips(panels / kQ4Strip), superblocks((k + 127) / 128) {}
  int64_t strip_panels() const { return strips * kQ4Strip; }
  int64_t tail_stride() const { return superblocks * Tail::kSuperBytes; }
  uint64_t bytes() const {
    return static_cast<uint64_t>(strips * superblocks * Strip::kSuperBytes +
                                 (panels - strip_panels()) * tail_stride());
  }
  // Panel p's nibble base and fields base (byte offsets), and its width W.
  struct At {
    int64_t nibbles = 0, meta = 0;
    int width = 1;
  };
  At at(int64_t p) const {
    if (p < strip_panels()) {
      const int64_t base = p / kQ4Strip * superblocks * Strip::kSuperBytes, lane = p % kQ4Strip;
      return {base + lane * 32, base + lane * Strip::kMetaBytes, kQ4Strip};
    }
    const int64_t base = strips * superblocks * Strip::kSuperBytes + (p - strip_panels()) * tail_stride();
    return {base, base, 1};
  }
  // The end of the panels from p on that one kernel call may take together
  // (they share a width): p's strip's end, or `end` past the strips.
  int64_t run_end(int64_t p, int64_t end) const {
    return p < strip_panels() ? std::min(end, (p / kQ4Strip + 1) * kQ4Strip) : end;
  }
};

// The kernel sets of each layout (Layout: Q4G32<W> or Q4G128<W>).
template <class Layout>
const Q4KernelSet &q4_kernels_portable();
template <class Layout>
const Q4KernelSet &q4_kernels_avx2();
template <class Layout>
const Q4KernelSet &q4_kernels_avx512vnni();

// ---- MXFP6 (mxfp6.panel16x32, see gemm.hpp)

inline constexpr int64_t kMx6SuperBytes = 1600;   // 4 blocks of one panel: nibbles, high bits, scales
inline constexpr int64_t kMx6HighOffset = 1024;   // high 2 bits: 4 blocks x 8 quads x 16 bytes
inline constexpr int64_t kMx6ScaleOffset = 1536;  // E8M0 scale[4][16]

// Byte offsets of block b (k = 32 b ..) within a panel: its low nibbles (the
// q4 nibble layout), its high 2-bit fields (quads 2 u, 2 u + 1 at + 32 u)
// and its scales.
inline int64_t mx6_nibbles_at(int64_t b) { return b / 4 * kMx6SuperBytes + b % 4 * 256; }
inline int64_t mx6_high_at(int64_t b) { return b / 4 * kMx6SuperBytes + kMx6HighOffset + b % 4 * 128; }
inline int64_t mx6_scales_at(int64_t b) { return b / 4 * kMx6SuperBytes + kMx6ScaleOffset + b % 4 * 16; }

// An E8M0 scale byte as the f32 factor of the integer element values
// (element value x 8): 2^(e - 130) for e in [4, 254], 0 below (blocks that
// small are stored as zero), NaN for 255.
inline float mx6_scale(uint8_t e) {
  if (e == 255) return __builtin_nanf("");
  if (e < 4) return 0.0f;
  return __builtin_bit_cast(float, static_cast<uint32_t>(e - 3) << 23);
}

// The magnitude x 8 of the E2M3 elements whose low 4 bits (exponent bit 0
// and mantissa) are i and whose exponent bit 1 is set: 16 + 2 m, 32 + 4 m.
// (With exponent bit 1 clear the magnitude x 8 is i itself.)
inline constexpr uint8_t kMx6HighMagnitude[16] = {16, 18, 20, 22, 24, 26, 28, 30, 32, 36, 40, 44, 48, 52, 56, 60};

using Mx6KernelSet = QuantKernelSet<BlockArgs, BlockQuantize>;

const Mx6KernelSet &mx6_kernels_portable();
const Mx6KernelSet &mx6_kernels_avx2();
const Mx6KernelSet &mx6_kernels_avx512vnni();
const Mx6KernelSet &mx6_kernels_avx512vbmi();

// The scalar quantization of n values x[0], x[stride], ... into q[0..n) and
// *scale, as gemm.hpp defines it for int8 (gemm_i8.cpp); false when all are
// zero (a non-finite or tiny vector).
bool quantize_i8_span(const float *x, int64_t n, int64_t stride, int8_t *q, float *scale);
// The same for stride 1 with AVX2 (gemm_i8_avx2.cpp; AVX2 builds only), bit
// for bit equal to it.
bool quantize_i8_span_avx2(const float *x, int64_t n, int8_t *q, float *scale);
// The same with AVX-512 (gemm_i8_avx512vnni.cpp; used by the VNNI kernel sets).
bool quantize_i8_span_avx512(const float *x, int64_t n, int8_t *q, float *scale);

// A quantizer of n contiguous values (quantize_i8_span with stride 1, or an
// ISA's equal of it); the row and block loops below are written once over it.
using SpanQuantize = bool (*)(const float *x, int64_t n, int8_t *q, float *scale);

// The portable SpanQuantize.
inline bool quantize_span_portable(const float *x, int64_t n, int8_t *q, float *scale) {
  return quantize_i8_span(x, n, 1, q, scale);
}

// I8Quantize over Span: each row of A, zero-padded to a multiple of 4.
template <SpanQuantize Span>
void quantize_rows(const float *a, int64_t lda, int64_t rows, int64_t k, int8_t *q, int64_t ldq, float *scale) {
  const int64_t kpad = (k + 3) / 4 * 4;
  for (int64_t r = 0; r < rows; ++r) {
    int8_t *qr = q + r * ldq;
    Span(a + r * lda, k, qr, &scale[r]);
    for (int64_t i = k; i < kpad; ++i) qr[i] = 0;
  }
}

// BlockQuantize over Span: each block of 32 of each row, zero-padded, and its sum.
template <SpanQuantize Span>
void quantize_blocks(const float *a, int64_t lda, int64_t rows, int64_t k, int8_t *q, int64_t ldq, float *scale,
                     int32_t *sum, int64_t lds) {
  const int64_t nb = (k + kQ4Block - 1) / kQ4Block;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t b = 0; b < nb; ++b) {
      const int64_t k0 = b * kQ4Block, len = k - k0 < kQ4Block ? k - k0 : kQ4Block;
      int8_t *qb = q + r * ldq + k0;
      Span(a + r * lda + k0, len, qb, &scale[r * lds + b]);
      int32_t s = 0;
      for (int64_t i = 0; i < len; ++i) s += qb[i];
      for (int64_t i = len; i < kQ4Block; ++i) qb[i] = 0;
      sum[r * lds + b] = s;
    }
}

// Fills a QuantKernelSet from a template Kernel<MR, NP> (run(const Args &)).
template <class Set, template <int, int> class Kernel, int MR, int NP, int GEMV_NP, int NARROW_NP = GEMV_NP>
Set make_quant_kernel_set(typename Set::quantize_type quantize) {
  static_assert(MR >= 1 && MR <= kMaxMr && NP >= 1 && NP <= kMaxNp && GEMV_NP >= NARROW_NP && NARROW_NP >= NP);
  Set s;
  s.mr_max = MR;
  s.np_max = NP;
  s.gemv = {GEMV_NP, &Kernel<1, GEMV_NP>::run};
  s.gemv_narrow = {NARROW_NP, &Kernel<1, NARROW_NP>::run};
  s.quantize = quantize;
  [&]<int... Ms>(std::integer_sequence<int, Ms...>) {
    ((s.tile[0][Ms] = &Kernel<Ms + 1, 1>::run), ...);
    if constexpr (NP == 2) ((s.tile[1][Ms] = &Kernel<Ms + 1, 2>::run), ...);
  }(std::make_integer_sequence<int, MR>{});
  return s;
}

// ---- shared by the drivers (gemm.cpp, gemm_quant.cpp)

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

// The bytes of one panel of a layout whose panels lie one after the other,
// super_bytes per 128 k (MXFP6: the packer's ContiguousPanels, the driver's
// panel stride).
inline int64_t contiguous_panel_stride(int64_t k, int64_t super_bytes) {
  return ceil_div(k, 4 * kQ4Block) * super_bytes;
}

// How one matrix product is cut into tasks: row blocks of mc rows times
// column blocks of `pb` panels, task t = (t / nblocks, t % nblocks) so that a
// thread's contiguous range of tasks shares row blocks (A stays in cache).
struct Plan {
  int64_t mc = 0, mblocks = 0, pb = 0, nblocks = 0;
  int64_t tasks() const { return mblocks * nblocks; }
};

Plan make_plan(int mr_max, int np_max, int64_t m, int64_t n, int64_t batch, int threads);

// C = activation(C + bias) + residual on rows x cols of C (columns col0.. of
// the whole product); residual points at the residual of C's first row.
void apply_epilogue(const GemmEpilogue &ep, float *c, int64_t ldc, const float *residual, int64_t rows,
                    int64_t col0, int64_t cols);

// Packing (gemm_pack, compile time): fn(part, c0, c1) for ranges of whole
// panels' columns [c0, c1) covering [0, n), part < kPackMaxThreads distinct
// per range, on up to hardware_concurrency threads (at most kPackMaxThreads)
// when the weight has at least kPackParallelWeights elements, else on the
// caller. fn must write only its columns' bytes (and its part's scratch) and
// must not throw. The bytes do not depend on the split.
inline constexpr int64_t kPackParallelWeights = int64_t{1} << 20;
inline constexpr int kPackMaxThreads = 16;
void for_column_ranges(int64_t k, int64_t n, const std::function<void(int part, int64_t c0, int64_t c1)> &fn);

// The quantized products (gemm_quant.cpp): a group sharing A, quantized once.
void gemm_packed_quant(int64_t m, const float *a, int64_t lda, const GemmMember *members, int count,
                       Parallel &par, void *workspace);
uint64_t gemm_quant_workspace(int64_t m, const PackedB &b);

}  // namespace qeff::kernels::gemm_detail

namespace qeff::kernels {
// Size and packing of the i8.panel16x4 layout (gemm_i8.cpp), the 4-bit ones
// (gemm_q4.cpp; s is GemmStorage::q4 or q4g128) and mxfp6.panel16x32 (gemm_mx6.cpp).
uint64_t gemm_i8_packed_bytes(int64_t k, int64_t n);
void gemm_i8_pack(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n, void *out);
uint64_t gemm_q4_packed_bytes(int64_t k, int64_t n, GemmStorage s);
void gemm_q4_pack(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n, GemmStorage s, void *out);
uint64_t gemm_mx6_packed_bytes(int64_t k, int64_t n);
void gemm_mx6_pack(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n, void *out);
}  // namespace qeff::kernels
