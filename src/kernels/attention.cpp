#include "kernels/attention.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "kernels/mxint8.hpp"
#include "kernels/rowops.hpp"

namespace qeff::kernels {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr int64_t kMaxRowsPerTask = 16;  // query rows sharing each k/v block read
constexpr int64_t kMinRowsPerTask = 8;
// With many query rows per key (prefill) and f32 keys (f32 or widened
// MXINT8), a task takes up to this many rows and transposes each key block
// once for all of them, so that scores are column dot products (dot_cols:
// several keys per vector, no horizontal sums) instead of row dots.
// 64 rows; up to 128 when all keys are one block (an encoder's sequence of
// 128: a whole head's rows share one transposed key block and one copy of
// its values) and that still makes kTargetTasks tasks.
constexpr int64_t kRowsTransposed = 64;
constexpr int64_t kMaxRowsTransposed = 128;
constexpr int64_t kMinRowsTransposed = 8;  // fewer rows would not pay for the transposition
constexpr int64_t kMaxSlotsTransposed = 16;  // such slots are larger (rows x v_dim + a key block)
constexpr int64_t kTargetTasks = 64;     // enough to balance any pool we expect
constexpr int64_t kMaxSlots = 64;
constexpr int64_t kMinChunk = 256;       // keys: a split of the key range is at least this long
constexpr int64_t kMaxChunks = 16;
// Query rows whose scores for a key block are computed, softmaxed and
// applied to the value rows together (RowOps::dot_rows / axpy_rows load each
// key and value row once for all of them).
constexpr int64_t kRowTile = 8;

uint64_t align64(uint64_t n) { return (n + 63) & ~uint64_t{63}; }

// How the work is cut; a pure function of the dims so that workspace_bytes()
// and run agree, and results never depend on the thread count.
//
// A task is (batch, kv head, block of rows_per_task query rows, key chunk).
// Rows of one task share every k/v block read (decode: the GQA group's heads
// read each cache row once). When that leaves fewer than kTargetTasks tasks
// and the cache is long (decode), the key range is split into `chunks`
// (flash-decoding): each task keeps its rows' partial softmax (max, sum,
// accumulator) and a second pass merges the chunks of each row in order.
// With a short cache the rows are spread over more tasks instead.
struct Plan {
  int64_t groups = 1;
  int64_t rows = 0;           // query rows per (batch, kv head): groups * q_len
  int64_t rows_per_task = 1;
  int64_t blocks = 0;         // row blocks per (batch, kv head)
  int64_t chunks = 1;         // key chunks per row block
  int64_t tasks = 0;          // (batch, kv head) x blocks x chunks
  int64_t kb = kKeyBlock;     // keys per block (more for a short prefill: wide_key_block)
  bool transposed = false;    // key blocks transposed into the slot (kt_offset)
  uint64_t kt_offset = 0;
  // f32 value rows strided in the sequence-major layout (kv_heads v_dim
  // apart): each key block's copied contiguous into the slot (vc_offset).
  // The weighted sums read a block's values once per 4 query rows, and rows
  // a multiple of 1 KB (or 3 KB) apart fall into few L1 sets.
  bool copy_values = false;
  uint64_t vc_offset = 0;
  int64_t slots = 0;
  uint64_t slot_bytes = 0;
  uint64_t rows_bytes = 0;    // offset of the MXINT8 rows' f32 buffers in a slot
  uint64_t partial_floats = 0;  // per task when chunks > 1: rows_per_task x (v_dim + 2)
};

// A prefill over a short context (one chunk) takes
// all its keys in one block of up to kMaxKeyBlock when the transposed block
// stays within kMaxWideBlockBytes: one softmax per row, no rescaling of the
// accumulators between blocks (MiniLM's 128 keys were two blocks of 64).
constexpr int64_t kMaxKeyBlock = 256;
constexpr int64_t kMaxWideBlockBytes = 32 * 1024;

int64_t wide_key_block(const AttentionDims &d, const Plan &p) {
  const int64_t kb = (d.kv_len + 15) / 16 * 16;
  if (d.q_len == 1 || p.chunks > 1 || kb <= kKeyBlock || kb > kMaxKeyBlock ||
      kb * d.head_dim * static_cast<int64_t>(sizeof(float)) > kMaxWideBlockBytes)
    return kKeyBlock;
  return kb;
}

Plan plan_for(const AttentionDims &d) {
  Plan p;
  p.groups = d.q_heads / d.kv_heads;
  p.rows = p.groups * d.q_len;
  const int64_t heads = d.batch * d.kv_heads;
  auto tasks_of = [&](int64_t rows_per_task) { return heads * ((p.rows + rows_per_task - 1) / rows_per_task); };
  p.rows_per_task = std::min(p.rows, kMaxRowsPerTask);
  const int64_t row_tasks = tasks_of(p.rows_per_task);
  if (row_tasks < kTargetTasks) {
    const int64_t by_keys = d.kv_len / kMinChunk;
    if (by_keys >= 2)
      p.chunks = std::min({(kTargetTasks + row_tasks - 1) / row_tasks, by_keys, kMaxChunks});
    else  // a short cache: fewer rows per task for more tasks, but 8 at least:
          // a decode step's GQA group of 8 heads (TinyLlama, Llama-3) stays one
          // task, which reads each cache row once (two tasks of 4 read it twice,
          // and an MXINT8 cache widens it twice: MXINT8 0.39-0.42 ms per token
          // instead of 0.57-0.62, f32 alike, bench_attention 9 2 256 160 1)
      p.rows_per_task = std::clamp<int64_t>((heads * p.rows + kTargetTasks - 1) / kTargetTasks,
                                            std::min<int64_t>(p.rows, kMinRowsPerTask), kMaxRowsPerTask);
  }
  p.rows_per_task = std::max<int64_t>(p.rows_per_task, 1);
  // Prefill over f32 keys: bigger row blocks sharing a transposed key block,
  // when they still make kTargetTasks tasks.
  int64_t wide = std::min(p.rows, kRowsTransposed);
  if (const int64_t whole = std::min(p.rows, kMaxRowsTransposed);
      wide_key_block(d, p) >= d.kv_len && tasks_of(whole) >= kTargetTasks)
    wide = whole;
  if (d.q_len > 1 && (d.kv == KvDtype::f32 || d.kv == KvDtype::mxint8) && p.chunks == 1 &&
      wide >= kMinRowsTransposed && tasks_of(wide) >= kTargetTasks) {
    p.rows_per_task = wide;
    p.transposed = true;
  }
  p.kb = wide_key_block(d, p);
  p.blocks = (p.rows + p.rows_per_task - 1) / p.rows_per_task;
  p.tasks = heads * p.blocks * p.chunks;
  p.slots = std::min(p.tasks, p.transposed ? kMaxSlotsTransposed : kMaxSlots);
  const uint64_t r = static_cast<uint64_t>(p.rows_per_task);
  p.rows_bytes =
      align64(sizeof(float) * (kRowTile * static_cast<uint64_t>(p.kb) + (r + 1) * static_cast<uint64_t>(d.v_dim) + 2 * r)) +
      align64(sizeof(int64_t) * 3 * r);
  p.slot_bytes = p.rows_bytes;
  // An MXINT8 cache: one key block of K and V rows widened to f32.
  if (d.kv == KvDtype::mxint8)
    p.slot_bytes += align64(sizeof(float) * static_cast<uint64_t>(p.kb * (d.head_dim + d.v_dim)));
  // A transposed key block: head_dim rows of kb keys.
  p.kt_offset = p.slot_bytes;
  if (p.transposed) p.slot_bytes += align64(sizeof(float) * static_cast<uint64_t>(p.kb * d.head_dim));
  p.copy_values = p.transposed && d.seq_major && d.kv == KvDtype::f32 && d.kv_heads > 1;
  p.vc_offset = p.slot_bytes;
  if (p.copy_values) p.slot_bytes += align64(sizeof(float) * static_cast<uint64_t>(p.kb * d.v_dim));
  if (p.chunks > 1) p.partial_floats = r * static_cast<uint64_t>(d.v_dim + 2);
  return p;
}

// The unmasked keys of one mask row: first, one past the last, and how many.
struct KeyRange {
  int64_t lo = 0, hi = 0, unmasked = 0;
};

bool all_masked_word(const uint8_t *p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  // True when no byte is zero (every key masked), the classic zero-byte test.
  return ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull) == 0;
}

// The number of zero bytes in 8 bytes: 0x80 marks each zero byte exactly
// (no carries cross bytes: the low 7 bits of each byte add 0x7F at most).
int64_t zero_bytes(const uint8_t *p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  constexpr uint64_t k7f = 0x7F7F7F7F7F7F7F7Full;
  const uint64_t zero = ~(((w & k7f) + k7f) | w) & ~k7f;  // 0x80 in each zero byte
  return static_cast<int64_t>(((zero >> 7) * 0x0101010101010101ull) >> 56);  // sum of the bytes' 0/1
}

KeyRange scan_mask(const uint8_t *m, int64_t t) {
  KeyRange r;
  int64_t lo = 0;
  while (lo + 8 <= t && all_masked_word(m + lo)) lo += 8;
  while (lo < t && m[lo]) ++lo;
  if (lo == t) return r;  // fully masked
  int64_t hi = t;
  while (hi - 8 >= lo && all_masked_word(m + hi - 8)) hi -= 8;
  while (m[hi - 1]) --hi;
  r.lo = lo;
  r.hi = hi;
  int64_t j = lo;
  for (; j + 8 <= hi; j += 8) r.unmasked += zero_bytes(m + j);
  for (; j < hi; ++j) r.unmasked += m[j] == 0;
  return r;
}

// The row loops of RowOps for K / V elements of type T.
struct KvLoops {
  template <class T>
  using Dot = void (*)(const float *, int64_t, int64_t, const T *, int64_t, int64_t, int64_t, float, float *, int64_t);
  template <class T>
  using Axpy = void (*)(const float *, int64_t, int64_t, const T *, int64_t, int64_t, int64_t, float *, int64_t);
};

template <class T>
struct KvOps;
template <>
struct KvOps<float> {
  static KvLoops::Dot<float> dot(const RowOps &o) { return o.dot_rows; }
  static KvLoops::Axpy<float> axpy(const RowOps &o) { return o.axpy_rows; }
};
template <>
struct KvOps<Bf16Bits> {
  static KvLoops::Dot<Bf16Bits> dot(const RowOps &o) { return o.dot_rows_bf16; }
  static KvLoops::Axpy<Bf16Bits> axpy(const RowOps &o) { return o.axpy_rows_bf16; }
};
template <>
struct KvOps<F16Bits> {
  static KvLoops::Dot<F16Bits> dot(const RowOps &o) { return o.dot_rows_f16; }
  static KvLoops::Axpy<F16Bits> axpy(const RowOps &o) { return o.axpy_rows_f16; }
};

// One (batch, kv head)'s K and V rows as the loops read them: key(j) and
// value(j), consecutive rows kst and vst elements apart. Rows of f32 or
// 16-bit floats are read where they lie (fetch is a no-op), in either layout.
template <class T>
struct PlainRows {
  using E = T;
  const T *k, *v;
  int64_t kst, vst;
  int64_t v_row0 = 0;  // the row v points at (a key block's values copied into the slot: its first)
  PlainRows(const RowOps &, const void *k0, const void *v0, const AttentionDims &d, int64_t b, int64_t kvh, int64_t,
            uint8_t *) {
    const int64_t hd = d.head_dim, vd = d.v_dim, t = d.kv_len, h = d.kv_heads;
    if (d.seq_major) {  // [batch, kv_len, kv_heads, dim]
      k = static_cast<const T *>(k0) + b * t * h * hd + kvh * hd;
      v = static_cast<const T *>(v0) + b * t * h * vd + kvh * vd;
      kst = h * hd, vst = h * vd;
    } else {  // [batch, kv_heads, kv_len, dim]
      k = static_cast<const T *>(k0) + (b * h + kvh) * t * hd;
      v = static_cast<const T *>(v0) + (b * h + kvh) * t * vd;
      kst = hd, vst = vd;
    }
  }
  void fetch_keys(int64_t, int64_t) {}
  void fetch_values(int64_t, int64_t) {}
  const T *key(int64_t j) const { return k + j * kst; }
  const T *value(int64_t j) const { return v + (j - v_row0) * vst; }
};

// MXINT8 rows (kernels/mxint8.hpp) are widened, exactly, a key block at a
// time into the task's f32 buffers, which the f32 loops then read: the
// result equals f32 K and V holding the values the rows stand for.
struct MxInt8Rows {
  using E = float;
  const RowOps &ops;
  const uint8_t *k, *v;
  int64_t hd, vd, ks, vs;  // ks, vs: row bytes
  int64_t kst, vst;        // the f32 buffers' row strides
  float *kbuf, *vbuf;
  int64_t k0 = 0, v0 = 0;  // first row in each buffer
  MxInt8Rows(const RowOps &o, const void *kp, const void *vp, const AttentionDims &d, int64_t b, int64_t kvh,
             int64_t kb, uint8_t *buf)
      : ops(o),
        k(static_cast<const uint8_t *>(kp) + (b * d.kv_heads + kvh) * d.kv_len * mxint8_row_bytes(d.head_dim)),
        v(static_cast<const uint8_t *>(vp) + (b * d.kv_heads + kvh) * d.kv_len * mxint8_row_bytes(d.v_dim)),
        hd(d.head_dim), vd(d.v_dim), ks(mxint8_row_bytes(hd)), vs(mxint8_row_bytes(vd)), kst(hd), vst(vd),
        kbuf(reinterpret_cast<float *>(buf)), vbuf(kbuf + kb * hd) {}
  // Rows [lo, hi), at most kb (the plan's key block) of them.
  void fetch_keys(int64_t lo, int64_t hi) {
    ops.widen_mxint8(k + lo * ks, ks, hi - lo, hd, kbuf);
    k0 = lo;
  }
  void fetch_values(int64_t lo, int64_t hi) {
    ops.widen_mxint8(v + lo * vs, vs, hi - lo, vd, vbuf);
    v0 = lo;
  }
  const float *key(int64_t j) const { return kbuf + (j - k0) * hd; }
  const float *value(int64_t j) const { return vbuf + (j - v0) * vd; }
};

template <class Rows>
struct Task {
  using E = typename Rows::E;
  const AttentionDims &d;
  const Plan &p;
  const RowOps &ops;
  const float *q;
  const void *k, *v;
  const uint8_t *mask;
  float *y;
  KvLoops::Dot<E> dot_rows = KvOps<E>::dot(ops);
  KvLoops::Axpy<E> axpy_rows = KvOps<E>::axpy(ops);

  const uint8_t *mask_row(int64_t b, int64_t head, int64_t s) const {
    const int64_t mb = d.mask_batch == 1 ? 0 : b, mh = d.mask_heads == 1 ? 0 : head, ms = d.mask_rows == 1 ? 0 : s;
    return mask + ((mb * d.mask_heads + mh) * d.mask_rows + ms) * d.kv_len;
  }

  // One task's rows: where their scratch lies in the slot, their masks and
  // key ranges, and the union of those ranges.
  struct RowSet {
    int64_t b = 0, bk = 0, r0 = 0, nr = 0, head0 = 0;
    // scores [kRowTile, kb]; acc [nr, vd]; vsum [vd]: all of v, for fully masked rows
    float *scores, *acc, *vsum, *mx, *den;
    KeyRange *range;
    const uint8_t *masks[kMaxRowsTransposed];
    int64_t ulo = 0, uhi = 0;
  };

  RowSet rows_of(int64_t row_task, uint8_t *slot) const {
    RowSet s;
    s.bk = row_task / p.blocks;
    const int64_t blk = row_task % p.blocks, kvh = s.bk % d.kv_heads, vd = d.v_dim, t = d.kv_len;
    s.b = s.bk / d.kv_heads;
    s.r0 = blk * p.rows_per_task;
    s.nr = std::min(p.rows_per_task, p.rows - s.r0);
    s.head0 = kvh * p.groups;  // heads of one kv group are adjacent: the group's rows are contiguous
    s.scores = reinterpret_cast<float *>(slot);
    s.acc = s.scores + kRowTile * p.kb;
    s.vsum = s.acc + p.rows_per_task * vd;
    s.mx = s.vsum + vd;
    s.den = s.mx + s.nr;
    s.range = reinterpret_cast<KeyRange *>(
        slot + align64(sizeof(float) * (kRowTile * static_cast<uint64_t>(p.kb) + static_cast<uint64_t>(p.rows_per_task + 1) * vd +
                                        2 * static_cast<uint64_t>(p.rows_per_task))));
    s.ulo = t;
    for (int64_t r = 0; r < s.nr; ++r) {
      const int64_t row = s.r0 + r;
      s.masks[r] = mask_row(s.b, s.head0 + row / d.q_len, row % d.q_len);
      // Rows sharing a mask row (the heads of a group with a broadcast mask) share its scan.
      s.range[r] = r > 0 && s.masks[r] == s.masks[r - 1] ? s.range[r - 1] : scan_mask(s.masks[r], t);
      if (s.range[r].unmasked) s.ulo = std::min(s.ulo, s.range[r].lo), s.uhi = std::max(s.uhi, s.range[r].hi);
    }
    return s;
  }

  // A task's first row of q and of y; its rows are ldq and ldy apart (in
  // the sequence-major layout a task's rows are one head's: groups == 1).
  const float *q_rows(const RowSet &s) const {
    if (d.seq_major) return q + ((s.b * d.q_len + s.r0) * d.q_heads + s.head0) * d.head_dim;
    return q + ((s.b * d.q_heads + s.head0) * d.q_len + s.r0) * d.head_dim;
  }
  float *y_rows(const RowSet &s) const {
    if (d.seq_major) return y + ((s.b * d.q_len + s.r0) * d.q_heads + s.head0) * d.v_dim;
    return y + ((s.b * d.q_heads + s.head0) * d.q_len + s.r0) * d.v_dim;
  }
  int64_t ldq = d.seq_major ? d.q_heads * d.head_dim : d.head_dim;
  int64_t ldy = d.seq_major ? d.q_heads * d.v_dim : d.v_dim;

  // Task `task` (row task x chunks + chunk). With one chunk it writes its
  // rows of y; with several, its partial softmax into `partial`.
  void run(int64_t task, uint8_t *slot, float *partial) const {
    const int64_t chunk = task % p.chunks;
    RowSet s = rows_of(task / p.chunks, slot);
    const int64_t hd = d.head_dim, vd = d.v_dim;
    Rows rows(ops, k, v, d, s.b, s.bk % d.kv_heads, p.kb, slot + p.rows_bytes);
    const float *qg = q_rows(s);
    for (int64_t r = 0; r < s.nr; ++r) {
      s.mx[r] = kNegInf;
      s.den[r] = 0.0f;
      std::fill(s.acc + r * vd, s.acc + (r + 1) * vd, 0.0f);
    }

    // Key blocks start at multiples of kb from the first one with an
    // unmasked key, and a chunk is a whole number of blocks.
    const int64_t kb_len = p.kb;
    int64_t k_lo = s.ulo - s.ulo % kb_len, k_hi = s.uhi;
    if (p.chunks > 1 && k_lo < k_hi) {
      const int64_t per = (k_hi - k_lo + p.chunks - 1) / p.chunks;
      const int64_t len = std::max(2 * kb_len, (per + kb_len - 1) / kb_len * kb_len);
      k_lo += chunk * len;
      k_hi = std::min(k_hi, k_lo + len);
    }
    float *kt = reinterpret_cast<float *>(slot + p.kt_offset);
    for (int64_t kb = k_lo; kb < k_hi; kb += kb_len) {
      const int64_t blo = std::max(kb, s.ulo), bhi = std::min(kb + kb_len, k_hi);
      rows.fetch_keys(blo, bhi);
      rows.fetch_values(blo, bhi);
      if constexpr (std::is_same_v<E, float>)
        if (p.transposed) ops.transpose(rows.key(blo), rows.kst, bhi - blo, hd, kt, kb_len);
      Rows block = rows;
      if constexpr (std::is_same_v<Rows, PlainRows<float>>)
        if (p.copy_values) {
          auto *vc = reinterpret_cast<float *>(slot + p.vc_offset);
          for (int64_t j = blo; j < bhi; ++j) std::memcpy(vc + (j - blo) * vd, rows.value(j), sizeof(float) * vd);
          block.v = vc, block.v_row0 = blo, block.vst = vd;
        }
      for (int64_t r0 = 0; r0 < s.nr; r0 += kRowTile)
        block_rows(s, block, qg, kt, kb, blo, r0, std::min(kRowTile, s.nr - r0));
    }

    if (p.chunks > 1) {  // [acc rows | max | sum] of this chunk
      std::copy(s.acc, s.acc + s.nr * vd, partial);
      std::copy(s.mx, s.mx + s.nr, partial + p.rows_per_task * vd);
      std::copy(s.den, s.den + s.nr, partial + p.rows_per_task * (vd + 1));
      return;
    }
    bool have_vsum = false;
    float *yg = y_rows(s);
    for (int64_t r = 0; r < s.nr; ++r)
      finish_row(s.masks[r], s.range[r], s.mx[r], s.den[r], s.acc + r * vd, rows, yg + r * ldy, s.scores, s.vsum,
                 have_vsum);
  }

  // Rows [r0, r0 + nt) of a task over key block [kb, kb + p.kb) (keys
  // fetched from blo): their scores over the union of their key ranges in
  // this block (keys outside a row's own range or masked score -inf, so
  // weigh 0 and are never multiplied), the online softmax per row, then the
  // weighted value rows of all nt rows at once.
  void block_rows(RowSet &s, Rows &rows, const float *qg, const float *kt, int64_t kb, int64_t blo, int64_t r0,
                  int64_t nt) const {
    const int64_t hd = d.head_dim, vd = d.v_dim;
    const int64_t kb_len = p.kb;
    int64_t a = kb + kb_len, e = kb;  // the union of the rows' ranges
    for (int64_t r = r0; r < r0 + nt; ++r) {
      const int64_t ra = std::max(kb, s.range[r].lo), re = std::min(kb + kb_len, s.range[r].hi);
      if (ra < re) a = std::min(a, ra), e = std::max(e, re);
    }
    if (a >= e) return;
    const int64_t n = e - a;
    float *scores = s.scores;  // row r - r0 at (r - r0) kb_len
    float m[kRowTile], alpha[kRowTile], sums[kRowTile];
    bool live[kRowTile], rescale = false;
    if (p.transposed)  // only for f32 keys (plan_for)
      ops.dot_cols(qg + r0 * ldq, ldq, nt, kt + (a - blo), kb_len, n, hd, d.scale, scores, kb_len);
    else
      dot_rows(qg + r0 * ldq, ldq, nt, rows.key(a), rows.kst, n, hd, d.scale, scores, kb_len);
    for (int64_t r = r0; r < r0 + nt; ++r) {
      float *sr = scores + (r - r0) * kb_len;
      const KeyRange &range = s.range[r];
      const int64_t ra = std::clamp(range.lo, a, e), re = std::clamp(range.hi, ra, e);
      std::fill(sr, sr + (ra - a), kNegInf);
      std::fill(sr + (re - a), sr + n, kNegInf);
      // Masked keys inside the row's range (none when every key from lo to
      // hi is unmasked, e.g. an encoder row without padding inside).
      if (range.unmasked != range.hi - range.lo)
        for (int64_t j = ra; j < re; ++j)
          if (s.masks[r][j]) sr[j - a] = kNegInf;
      // The online softmax's new max; a row without a key in this block
      // (max -inf) keeps its state and weighs the block 0 (exp(-inf) = 0).
      const float bm = ops.max(sr, n);
      const int64_t t = r - r0;
      live[t] = bm != kNegInf;
      if (!live[t]) std::fill(sr, sr + n, kNegInf);
      m[t] = live[t] ? std::max(s.mx[r], bm) : 0.0f;
      alpha[t] = live[t] ? s.mx[r] - m[t] : 0.0f;
      rescale |= live[t] && s.mx[r] != kNegInf;
    }
    // exp(old max - new max) for the rows with a state to rescale (a row's
    // first block starts from den 0 and acc 0: nothing to scale).
    if (rescale) ops.activation(Activation::exp, alpha, alpha, nt);
    ops.exp_sum_rows(scores, kb_len, nt, n, m, sums);
    for (int64_t r = r0; r < r0 + nt; ++r) {
      const int64_t t = r - r0;
      if (!live[t]) continue;
      if (s.mx[r] == kNegInf) {
        s.den[r] = sums[t];
      } else {
        s.den[r] = s.den[r] * alpha[t] + sums[t];
        if (alpha[t] != 1.0f) ops.scale_add(s.acc + r * vd, alpha[t], 0.0f, s.acc + r * vd, vd);
      }
      s.mx[r] = m[t];
    }
    axpy_rows(scores, kb_len, nt, rows.value(a), rows.vst, n, vd, s.acc + r0 * vd, vd);
  }

  // Merges the chunks of row task `row_task` (partials: its chunks'
  // blocks, in order) and writes its rows of y.
  void merge(int64_t row_task, uint8_t *slot, const float *partials) const {
    RowSet s = rows_of(row_task, slot);
    const int64_t vd = d.v_dim;
    const int64_t stride = static_cast<int64_t>(p.partial_floats);
    Rows rows(ops, k, v, d, s.b, s.bk % d.kv_heads, p.kb, slot + p.rows_bytes);
    bool have_vsum = false;
    float *yg = y_rows(s);
    for (int64_t r = 0; r < s.nr; ++r) {
      float m = kNegInf;
      for (int64_t c = 0; c < p.chunks; ++c) m = std::max(m, partials[c * stride + p.rows_per_task * vd + r]);
      float den = 0.0f;
      float *weights = s.scores;  // one per chunk (kMaxChunks <= kKeyBlock)
      for (int64_t c = 0; c < p.chunks; ++c) {
        const float mc = partials[c * stride + p.rows_per_task * vd + r];
        weights[c] = mc == kNegInf ? 0.0f : std::exp(mc - m);
        den += partials[c * stride + p.rows_per_task * (vd + 1) + r] * weights[c];
      }
      float *acc = s.acc + r * vd;
      std::fill(acc, acc + vd, 0.0f);
      ops.axpy_rows(weights, 0, 1, partials + r * vd, stride, p.chunks, vd, acc, 0);
      finish_row(s.masks[r], s.range[r], m, den, acc, rows, yg + r * ldy, s.scores, s.vsum, have_vsum);
    }
  }

  // Adds the masked keys' weight exp(masked_value - max) where it does not
  // underflow (see attention.hpp) and writes y = acc / den. `scratch`
  // holds a key block's weights (p.kb floats); vsum (sum of v over all keys) is computed once per
  // task for its fully masked rows (prefill padding rows), which all equal
  // mean(v).
  void finish_row(const uint8_t *m, const KeyRange &range, float mx, float den, float *acc, Rows &rows,
                  float *out, float *scratch, float *vsum, bool &have_vsum) const {
    const int64_t vd = d.v_dim, t = d.kv_len, masked = t - range.unmasked;
    if (masked > 0) {
      // std::max would drop a NaN masked_value; the body propagates it.
      const float top = std::isnan(d.masked_value) ? d.masked_value : std::max(mx, d.masked_value);
      const float w = std::exp(d.masked_value - top);  // 1, or NaN for -inf / NaN
      if (range.unmasked == 0) {
        if (!have_vsum) {
          std::fill(vsum, vsum + vd, 0.0f);
          std::fill(scratch, scratch + p.kb, 1.0f);
          for (int64_t kb = 0; kb < t; kb += p.kb) {
            const int64_t n = std::min(p.kb, t - kb);
            rows.fetch_values(kb, kb + n);
            axpy_rows(scratch, 0, 1, rows.value(kb), rows.vst, n, vd, vsum, 0);
          }
          have_vsum = true;
        }
        ops.scale_add(vsum, w / (static_cast<float>(t) * w), 0.0f, out, vd);
        return;
      }
      if (w != 0.0f) {
        const float alpha = std::exp(mx - top);
        ops.scale_add(acc, alpha, 0.0f, acc, vd);
        den = den * alpha + static_cast<float>(masked) * w;
        for (int64_t kb = 0; kb < t; kb += p.kb) {
          const int64_t n = std::min(p.kb, t - kb);
          for (int64_t j = 0; j < n; ++j) scratch[j] = m[kb + j] ? w : 0.0f;
          rows.fetch_values(kb, kb + n);
          axpy_rows(scratch, 0, 1, rows.value(kb), rows.vst, n, vd, acc, 0);
        }
      }
    }
    if (t == 0) {  // an empty softmax times an empty v is 0
      std::fill(out, out + vd, 0.0f);
      return;
    }
    ops.scale_add(acc, 1.0f / den, 0.0f, out, vd);
  }
};

}  // namespace

uint64_t attention_workspace_bytes(const AttentionDims &dims) {
  Plan p = plan_for(dims);
  return static_cast<uint64_t>(p.slots) * p.slot_bytes +
         static_cast<uint64_t>(p.tasks) * p.partial_floats * sizeof(float);
}

namespace {

template <class Rows>
void run_attention(const AttentionDims &dims, const float *q, const void *k, const void *v, const uint8_t *mask,
                   float *y, void *workspace, Parallel &parallel) {
  const Plan p = plan_for(dims);
  const Task<Rows> task{dims, p, rowops(), q, k, v, mask, y};
  auto *base = static_cast<uint8_t *>(workspace);
  auto *partials = reinterpret_cast<float *>(base + static_cast<uint64_t>(p.slots) * p.slot_bytes);
  parallel.parallel_for(p.slots, [&](int64_t b, int64_t e) {
    for (int64_t s = b; s < e; ++s) {
      const int64_t t0 = s * p.tasks / p.slots, t1 = (s + 1) * p.tasks / p.slots;
      for (int64_t t = t0; t < t1; ++t) task.run(t, base + s * p.slot_bytes, partials + t * p.partial_floats);
    }
  });
  if (p.chunks == 1) return;
  const int64_t row_tasks = p.tasks / p.chunks, slots = std::min(row_tasks, p.slots);
  parallel.parallel_for(slots, [&](int64_t b, int64_t e) {
    for (int64_t s = b; s < e; ++s) {
      const int64_t t0 = s * row_tasks / slots, t1 = (s + 1) * row_tasks / slots;
      for (int64_t t = t0; t < t1; ++t)
        task.merge(t, base + s * p.slot_bytes, partials + t * p.chunks * p.partial_floats);
    }
  });
}

}  // namespace

void attention(const AttentionDims &dims, const float *q, const void *k, const void *v, const uint8_t *mask,
               float *y, void *workspace, Parallel &parallel) {
  if (dims.batch <= 0 || dims.q_heads <= 0 || dims.q_len <= 0 || dims.v_dim <= 0) return;
  switch (dims.kv) {
    case KvDtype::bf16: return run_attention<PlainRows<Bf16Bits>>(dims, q, k, v, mask, y, workspace, parallel);
    case KvDtype::f16: return run_attention<PlainRows<F16Bits>>(dims, q, k, v, mask, y, workspace, parallel);
    case KvDtype::mxint8: return run_attention<MxInt8Rows>(dims, q, k, v, mask, y, workspace, parallel);
    case KvDtype::f32: break;
  }
  run_attention<PlainRows<float>>(dims, q, k, v, mask, y, workspace, parallel);
}

}  // namespace qeff::kernels
