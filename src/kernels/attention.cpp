#include "kernels/attention.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/mxint8.hpp"
#include "kernels/rowops.hpp"

namespace qeff::kernels {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr int64_t kMaxRowsPerTask = 16;  // query rows sharing each k/v block read
constexpr int64_t kTargetTasks = 64;     // enough to balance any pool we expect
constexpr int64_t kMaxSlots = 64;

uint64_t align64(uint64_t n) { return (n + 63) & ~uint64_t{63}; }

// How the work is cut; a pure function of the dims so that workspace_bytes()
// and run agree, and results never depend on the thread count.
struct Plan {
  int64_t groups = 1;
  int64_t rows = 0;           // query rows per (batch, kv head): groups * q_len
  int64_t rows_per_task = 1;
  int64_t blocks = 0;         // tasks per (batch, kv head)
  int64_t tasks = 0;
  int64_t slots = 0;
  uint64_t slot_bytes = 0;
  uint64_t rows_bytes = 0;    // offset of the MXINT8 rows' f32 buffers in a slot
};

Plan plan_for(const AttentionDims &d) {
  Plan p;
  p.groups = d.q_heads / d.kv_heads;
  p.rows = p.groups * d.q_len;
  const int64_t heads = d.batch * d.kv_heads;
  // Prefer rows sharing k/v reads, but keep about kTargetTasks tasks for small
  // (decode) shapes.
  p.rows_per_task = std::clamp<int64_t>((heads * p.rows + kTargetTasks - 1) / kTargetTasks, 1, kMaxRowsPerTask);
  p.blocks = (p.rows + p.rows_per_task - 1) / p.rows_per_task;
  p.tasks = heads * p.blocks;
  p.slots = std::min(p.tasks, kMaxSlots);
  const uint64_t r = static_cast<uint64_t>(p.rows_per_task);
  p.rows_bytes = align64(sizeof(float) * (kKeyBlock + (r + 1) * static_cast<uint64_t>(d.v_dim) + 2 * r)) +
                 align64(sizeof(int64_t) * 3 * r);
  p.slot_bytes = p.rows_bytes;
  // An MXINT8 cache: one key block of K and V rows widened to f32.
  if (d.kv == KvDtype::mxint8)
    p.slot_bytes += align64(sizeof(float) * kKeyBlock * static_cast<uint64_t>(d.head_dim + d.v_dim));
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
  for (int64_t j = lo; j < hi; ++j) r.unmasked += m[j] == 0;
  return r;
}

// The row loops of RowOps for K / V elements of type T.
struct KvLoops {
  template <class T>
  using Dot = void (*)(const float *, const T *, int64_t, int64_t, int64_t, float, float *);
  template <class T>
  using Axpy = void (*)(const float *, const T *, int64_t, int64_t, int64_t, float *);
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

// One (batch, kv head)'s K and V rows as the loops read them. Rows of f32 or
// 16-bit floats are read where they lie (fetch is a no-op).
template <class T>
struct PlainRows {
  using E = T;
  const T *k, *v;
  int64_t hd, vd;
  PlainRows(const void *k0, const void *v0, int64_t head, int64_t t, int64_t hd_, int64_t vd_, uint8_t *)
      : k(static_cast<const T *>(k0) + head * t * hd_), v(static_cast<const T *>(v0) + head * t * vd_), hd(hd_),
        vd(vd_) {}
  void fetch_keys(int64_t, int64_t) {}
  void fetch_values(int64_t, int64_t) {}
  const T *key(int64_t j) const { return k + j * hd; }
  const T *value(int64_t j) const { return v + j * vd; }
};

// MXINT8 rows (kernels/mxint8.hpp) are widened, exactly, a key block at a
// time into the task's f32 buffers, which the f32 loops then read: the
// result equals f32 K and V holding the values the rows stand for.
struct MxInt8Rows {
  using E = float;
  const uint8_t *k, *v;
  int64_t hd, vd, ks, vs;  // ks, vs: row bytes
  float *kbuf, *vbuf;
  int64_t k0 = 0, v0 = 0;  // first row in each buffer
  MxInt8Rows(const void *kp, const void *vp, int64_t head, int64_t t, int64_t hd_, int64_t vd_, uint8_t *buf)
      : k(static_cast<const uint8_t *>(kp) + head * t * mxint8_row_bytes(hd_)),
        v(static_cast<const uint8_t *>(vp) + head * t * mxint8_row_bytes(vd_)), hd(hd_), vd(vd_),
        ks(mxint8_row_bytes(hd_)), vs(mxint8_row_bytes(vd_)), kbuf(reinterpret_cast<float *>(buf)),
        vbuf(kbuf + kKeyBlock * hd_) {}
  // Rows [lo, hi), at most kKeyBlock of them.
  void fetch_keys(int64_t lo, int64_t hi) {
    mxint8_dequantize_rows(k + lo * ks, ks, hi - lo, hd, kbuf);
    k0 = lo;
  }
  void fetch_values(int64_t lo, int64_t hi) {
    mxint8_dequantize_rows(v + lo * vs, vs, hi - lo, vd, vbuf);
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

  void run(int64_t task, uint8_t *slot) const {
    const int64_t bk = task / p.blocks, blk = task % p.blocks;
    const int64_t b = bk / d.kv_heads, kvh = bk % d.kv_heads;
    const int64_t r0 = blk * p.rows_per_task, nr = std::min(p.rows_per_task, p.rows - r0);
    const int64_t hd = d.head_dim, vd = d.v_dim, t = d.kv_len;

    float *scores = reinterpret_cast<float *>(slot);
    float *acc = scores + kKeyBlock;  // [nr, vd]
    float *vsum = acc + p.rows_per_task * vd;  // [vd] sum of v over all keys, for fully masked rows
    float *mx = vsum + vd, *den = mx + nr;
    auto *range = reinterpret_cast<KeyRange *>(
        slot + align64(sizeof(float) * (kKeyBlock + static_cast<uint64_t>(p.rows_per_task + 1) * vd +
                                        2 * static_cast<uint64_t>(p.rows_per_task))));

    // Heads of one kv group are adjacent, so the group's rows are contiguous.
    const int64_t head0 = kvh * p.groups;
    const float *qg = q + ((b * d.q_heads + head0) * d.q_len + r0) * hd;
    float *yg = y + ((b * d.q_heads + head0) * d.q_len + r0) * vd;
    Rows rows(k, v, bk, t, hd, vd, slot + p.rows_bytes);
    const uint8_t *masks[kMaxRowsPerTask];

    int64_t ulo = t, uhi = 0;
    for (int64_t r = 0; r < nr; ++r) {
      const int64_t row = r0 + r;
      masks[r] = mask_row(b, head0 + row / d.q_len, row % d.q_len);
      range[r] = scan_mask(masks[r], t);
      if (range[r].unmasked) ulo = std::min(ulo, range[r].lo), uhi = std::max(uhi, range[r].hi);
      mx[r] = kNegInf;
      den[r] = 0.0f;
      std::fill(acc + r * vd, acc + (r + 1) * vd, 0.0f);
    }

    // Key blocks start at multiples of kKeyBlock, so a row's arithmetic is
    // the same whichever rows share its task.
    for (int64_t kb = ulo - ulo % kKeyBlock; kb < uhi; kb += kKeyBlock) {
      const int64_t blo = std::max(kb, ulo), bhi = std::min(kb + kKeyBlock, uhi);
      rows.fetch_keys(blo, bhi);
      rows.fetch_values(blo, bhi);
      for (int64_t r = 0; r < nr; ++r) {
        const int64_t a = std::max(kb, range[r].lo), e = std::min(kb + kKeyBlock, range[r].hi), n = e - a;
        if (n <= 0) continue;
        dot_rows(qg + r * hd, rows.key(a), hd, n, hd, d.scale, scores);
        for (int64_t j = 0; j < n; ++j)
          if (masks[r][a + j]) scores[j] = kNegInf;
        const float bm = ops.max(scores, n);
        if (bm == kNegInf) continue;
        const float m = std::max(mx[r], bm);
        const float alpha = std::exp(mx[r] - m);  // 0 on the row's first block
        den[r] = den[r] * alpha + ops.exp_sum(scores, m, scores, n);
        if (alpha != 1.0f) ops.scale_add(acc + r * vd, alpha, 0.0f, acc + r * vd, vd);
        axpy_rows(scores, rows.value(a), vd, n, vd, acc + r * vd);
        mx[r] = m;
      }
    }

    bool have_vsum = false;
    for (int64_t r = 0; r < nr; ++r)
      finish_row(masks[r], range[r], mx[r], den[r], acc + r * vd, rows, yg + r * vd, scores, vsum, have_vsum);
  }

  // Adds the masked keys' weight exp(masked_value - max) where it does not
  // underflow (see attention.hpp) and writes y = acc / den. `p` is a
  // kKeyBlock scratch row; vsum (sum of v over all keys) is computed once per
  // task for its fully masked rows (prefill padding rows), which all equal
  // mean(v).
  void finish_row(const uint8_t *m, const KeyRange &range, float mx, float den, float *acc, Rows &rows,
                  float *out, float *p, float *vsum, bool &have_vsum) const {
    const int64_t vd = d.v_dim, t = d.kv_len, masked = t - range.unmasked;
    if (masked > 0) {
      // std::max would drop a NaN masked_value; the body propagates it.
      const float top = std::isnan(d.masked_value) ? d.masked_value : std::max(mx, d.masked_value);
      const float w = std::exp(d.masked_value - top);  // 1, or NaN for -inf / NaN
      if (range.unmasked == 0) {
        if (!have_vsum) {
          std::fill(vsum, vsum + vd, 0.0f);
          std::fill(p, p + kKeyBlock, 1.0f);
          for (int64_t kb = 0; kb < t; kb += kKeyBlock) {
            const int64_t n = std::min(kKeyBlock, t - kb);
            rows.fetch_values(kb, kb + n);
            axpy_rows(p, rows.value(kb), vd, n, vd, vsum);
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
        for (int64_t kb = 0; kb < t; kb += kKeyBlock) {
          const int64_t n = std::min(kKeyBlock, t - kb);
          for (int64_t j = 0; j < n; ++j) p[j] = m[kb + j] ? w : 0.0f;
          rows.fetch_values(kb, kb + n);
          axpy_rows(p, rows.value(kb), vd, n, vd, acc);
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
  return static_cast<uint64_t>(p.slots) * p.slot_bytes;
}

namespace {

template <class Rows>
void run_attention(const AttentionDims &dims, const float *q, const void *k, const void *v, const uint8_t *mask,
                   float *y, void *workspace, Parallel &parallel) {
  const Plan p = plan_for(dims);
  const Task<Rows> task{dims, p, rowops(), q, k, v, mask, y};
  auto *base = static_cast<uint8_t *>(workspace);
  parallel.parallel_for(p.slots, [&](int64_t b, int64_t e) {
    for (int64_t s = b; s < e; ++s) {
      const int64_t t0 = s * p.tasks / p.slots, t1 = (s + 1) * p.tasks / p.slots;
      for (int64_t t = t0; t < t1; ++t) task.run(t, base + s * p.slot_bytes);
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
