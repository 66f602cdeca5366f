// The fused attention kernel (kernels/attention.hpp) against a naive
// double-precision evaluation of the ONNX function body of qeff.Attention,
// on every ISA this machine runs; the valid-prefix property (keys after the
// last unmasked one are never read) by poisoning the cache with NaN.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "kernels/attention.hpp"
#include "kernels/half.hpp"
#include "kernels/mxint8.hpp"
#include "test_nn_support.hpp"

namespace {

using namespace qeff::kernels;
using nn_test::IsaScope;
using nn_test::random_floats;
using nn_test::ThreadParallel;
using nn_test::Workspace;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

struct Problem {
  AttentionDims d;
  std::vector<float> q, k, v;
  std::vector<uint8_t> mask;  // [mask_batch, mask_heads, mask_rows, kv_len]

  uint8_t &m(int64_t b, int64_t h, int64_t s, int64_t j) {
    return mask[static_cast<size_t>(((b * d.mask_heads + h) * d.mask_rows + s) * d.kv_len + j)];
  }
  uint8_t mask_at(int64_t b, int64_t h, int64_t s, int64_t j) const {
    return mask[static_cast<size_t>((((d.mask_batch == 1 ? 0 : b) * d.mask_heads + (d.mask_heads == 1 ? 0 : h)) *
                                         d.mask_rows +
                                     (d.mask_rows == 1 ? 0 : s)) *
                                        d.kv_len +
                                    j)];
  }
};

Problem make(int64_t batch, int64_t hq, int64_t hkv, int64_t s, int64_t t, int64_t dim, int64_t vdim, uint32_t seed) {
  Problem p;
  p.d.batch = batch;
  p.d.q_heads = hq;
  p.d.kv_heads = hkv;
  p.d.q_len = s;
  p.d.kv_len = t;
  p.d.head_dim = dim;
  p.d.v_dim = vdim;
  p.d.scale = 1.0f / std::sqrt(static_cast<float>(dim));
  p.q = random_floats(static_cast<size_t>(batch * hq * s * dim), seed, -2, 2);
  p.k = random_floats(static_cast<size_t>(batch * hkv * t * dim), seed + 1, -2, 2);
  p.v = random_floats(static_cast<size_t>(batch * hkv * t * vdim), seed + 2);
  return p;
}

void set_mask_shape(Problem &p, int64_t mb, int64_t mh, int64_t ms) {
  p.d.mask_batch = mb;
  p.d.mask_heads = mh;
  p.d.mask_rows = ms;
  p.mask.assign(static_cast<size_t>(mb * mh * ms * p.d.kv_len), 0);
}

// The ONNX body in double: where(mask, masked_value, q k^T scale), softmax
// over all kv_len keys, times v (repeat_kv for GQA).
std::vector<double> reference(const Problem &p) {
  const AttentionDims &d = p.d;
  const int64_t g = d.q_heads / d.kv_heads;
  std::vector<double> y(static_cast<size_t>(d.batch * d.q_heads * d.q_len * d.v_dim));
  std::vector<double> sc(static_cast<size_t>(d.kv_len));
  for (int64_t b = 0; b < d.batch; ++b)
    for (int64_t h = 0; h < d.q_heads; ++h)
      for (int64_t s = 0; s < d.q_len; ++s) {
        const float *q = &p.q[static_cast<size_t>(((b * d.q_heads + h) * d.q_len + s) * d.head_dim)];
        const int64_t kvh = b * d.kv_heads + h / g;
        double mx = -kInf;
        for (int64_t j = 0; j < d.kv_len; ++j) {
          double dot = 0;
          for (int64_t c = 0; c < d.head_dim; ++c)
            dot += static_cast<double>(q[c]) * p.k[static_cast<size_t>((kvh * d.kv_len + j) * d.head_dim + c)];
          sc[j] = p.mask_at(b, h, s, j) ? static_cast<double>(d.masked_value) : dot * d.scale;
          mx = std::max(mx, sc[j]);
        }
        double sum = 0;
        for (int64_t j = 0; j < d.kv_len; ++j) sum += (sc[j] = std::exp(sc[j] - mx));
        double *out = &y[static_cast<size_t>(((b * d.q_heads + h) * d.q_len + s) * d.v_dim)];
        for (int64_t j = 0; j < d.kv_len; ++j)
          for (int64_t c = 0; c < d.v_dim; ++c)
            out[c] += sc[j] / sum * p.v[static_cast<size_t>((kvh * d.kv_len + j) * d.v_dim + c)];
      }
  return y;
}

std::vector<float> run(const Problem &p, Parallel &parallel) {
  std::vector<float> y(static_cast<size_t>(p.d.batch * p.d.q_heads * p.d.q_len * p.d.v_dim), kNaN);
  Workspace ws(attention_workspace_bytes(p.d));
  attention(p.d, p.q.data(), p.k.data(), p.v.data(), p.mask.data(), y.data(), ws.get(), parallel);
  return y;
}

double max_err(const std::vector<float> &got, const std::vector<double> &want) {
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double e = std::fabs(got[i] - want[i]);
    if (!(e <= worst)) worst = e;  // NaN is the worst
  }
  return worst;
}

// Portable against the double reference; every ISA against the portable path;
// 2 threads bitwise equal to 1.
void check_all_isas(const Problem &p, const std::string &what, double tol = 2e-6) {
  const std::vector<double> want = reference(p);
  SerialParallel serial;
  ThreadParallel two(2);
  std::vector<float> portable;
  for (Isa isa : nn_test::supported_isas()) {
    IsaScope scope(isa);
    const std::vector<float> y = run(p, serial);
    EXPECT_LE(max_err(y, want), tol) << isa_name(isa) << " " << what;
    if (isa == Isa::portable)
      portable = y;
    else
      EXPECT_LE(max_err(y, std::vector<double>(portable.begin(), portable.end())), tol)
          << isa_name(isa) << " vs portable " << what;
    EXPECT_EQ(run(p, two), y) << isa_name(isa) << " 2 threads " << what;
  }
}

// Decode over a long cache splits the keys into chunks whose partial
// softmaxes are merged: against the reference with the valid length spread
// over several chunks (or not), rows of different lengths in one batch, a
// fully masked row, a finite masked_value that weighs the masked keys in,
// and 2 threads bitwise equal to 1.
TEST(NnAttention, LongCacheDecodeMergesKeyChunks) {
  for (int64_t valid : {1, 300, 1500, 2048})
    for (float masked_value : {-3.40282347e38f, -2.0f}) {
      Problem p = make(2, 8, 2, 1, 2048, 64, 40, 500 + static_cast<uint32_t>(valid));
      p.d.masked_value = masked_value;
      set_mask_shape(p, 2, 1, 1);
      for (int64_t j = 0; j < p.d.kv_len; ++j) {
        p.m(0, 0, 0, j) = j >= valid;
        p.m(1, 0, 0, j) = valid == 1 || j >= valid / 2 || j % 7 == 3;  // valid 1: fully masked
      }
      check_all_isas(p, "valid " + std::to_string(valid) + " masked_value " + std::to_string(masked_value), 5e-6);
    }
}

TEST(NnAttention, OddShapesGqaAndMaskBroadcasts) {
  uint32_t seed = 100;
  for (int64_t groups : {1, 2, 4})
    for (int64_t dim : {5, 16, 24, 32, 48, 72})
      for (int64_t t : {1, 63, 130})
        for (int64_t s : {1, 7}) {
          const int64_t hkv = 2, batch = 2;
          Problem p = make(batch, hkv * groups, hkv, s, t, dim, dim == 5 ? 3 : dim, seed++);
          // [batch, 1, s, t] causal over a cache whose last s positions are the
          // queries, row 1 of batch 1 left-padded by 2.
          set_mask_shape(p, batch, 1, s);
          for (int64_t b = 0; b < batch; ++b)
            for (int64_t i = 0; i < s; ++i)
              for (int64_t j = 0; j < t; ++j) p.m(b, 0, i, j) = j > t - s + i || (b == 1 && j < 2 && t > 2);
          check_all_isas(p, "groups " + std::to_string(groups) + " dim " + std::to_string(dim) + " t " +
                                std::to_string(t) + " s " + std::to_string(s));
        }
}

// Prefill over many (batch, kv head) pairs: tasks of up to 64 query rows
// share each key block transposed (kernels/attention.cpp), scored by column
// dot products; partial key vectors (t = 150: blocks of 64, 64, 22; rows
// whose causal range starts inside a block), heads of 13, 32 and 72, GQA
// groups of 2, a left-padded row, and a fully masked one.
TEST(NnAttention, PrefillOverManyHeadsTransposesKeyBlocks) {
  uint32_t seed = 900;
  for (int64_t dim : {13, 32, 72})
    for (int64_t t : {40, 150}) {
      const int64_t batch = 8, hkv = 8, s = 40;
      Problem p = make(batch, 2 * hkv, hkv, s, t, dim, dim, seed++);
      set_mask_shape(p, batch, 1, s);
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t i = 0; i < s; ++i)
          for (int64_t j = 0; j < t; ++j)
            p.m(b, 0, i, j) = j > t - s + i || (b == 1 && j < 5) || (b == 2 && i == 3);
      check_all_isas(p, "dim " + std::to_string(dim) + " t " + std::to_string(t));
    }
}

TEST(NnAttention, PerHeadAndSharedMasks) {
  Problem p = make(2, 4, 2, 5, 70, 24, 24, 7);
  set_mask_shape(p, 2, 4, 5);  // a different random mask per head
  std::mt19937 rng(3);
  for (uint8_t &m : p.mask) m = rng() % 3 == 0;
  check_all_isas(p, "per-head mask");
  set_mask_shape(p, 1, 1, 1);  // one key-padding row for everything (BERT)
  for (int64_t j = 60; j < 70; ++j) p.m(0, 0, 0, j) = 1;
  check_all_isas(p, "shared mask");
}

TEST(NnAttention, FullyMaskedRowsAverageEveryPositionAsTheOnnxBody) {
  // Softmax over a row of equal masked_value scores is uniform: y is the mean
  // of v over all kv_len positions.
  Problem p = make(1, 2, 1, 3, 37, 8, 8, 21);
  set_mask_shape(p, 1, 1, 3);
  for (int64_t j = 0; j < 37; ++j) p.m(0, 0, 1, j) = 1;  // row 1 fully masked (a padding query)
  for (int64_t j = 10; j < 37; ++j) p.m(0, 0, 0, j) = p.m(0, 0, 2, j) = 1;
  check_all_isas(p, "fully masked row");
  SerialParallel serial;
  std::vector<float> y;
  {
    IsaScope scope(Isa::portable);
    y = run(p, serial);
  }
  for (int64_t c = 0; c < 8; ++c) {
    double mean = 0;
    for (int64_t j = 0; j < 37; ++j) mean += p.v[static_cast<size_t>(j * 8 + c)];
    EXPECT_NEAR(y[static_cast<size_t>(8 + c)], mean / 37, 1e-6);
  }
  // With masked_value -inf the body computes exp(-inf - -inf): NaN.
  p.d.masked_value = -kInf;
  for (Isa isa : nn_test::supported_isas()) {
    IsaScope scope(isa);
    const std::vector<float> z = run(p, serial);
    p.d.masked_value = -3.40282347e38f;
    y = run(p, serial);
    p.d.masked_value = -kInf;
    for (int64_t c = 0; c < 8; ++c) {
      EXPECT_TRUE(std::isnan(z[static_cast<size_t>(8 + c)])) << isa_name(isa);
      EXPECT_FLOAT_EQ(z[static_cast<size_t>(c)], y[static_cast<size_t>(c)]) << isa_name(isa);
    }
  }
}

TEST(NnAttention, MaskedValueNearTheScoresStillWeighsMaskedKeys) {
  // masked_value 0.5 is close to the scores, so exp(masked_value - max) does
  // not underflow and masked keys carry weight, as in the ONNX body.
  Problem p = make(1, 4, 2, 3, 75, 16, 16, 31);
  p.d.masked_value = 0.5f;
  set_mask_shape(p, 1, 1, 3);
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 75; ++j) p.m(0, 0, i, j) = j > 40 + i || j % 7 == 3;
  check_all_isas(p, "masked_value 0.5");
  p.d.masked_value = -10000.0f;  // QEfficient's value: the masked keys vanish
  check_all_isas(p, "masked_value -10000");
}

TEST(NnAttention, ReadsOnlyTheValidPrefixOfTheCache) {
  // Decode and a short prefill over a 4096-position cache holding 10 valid
  // positions: everything after them (and masked holes inside) is NaN.
  for (int64_t s : {1, 3}) {
    const int64_t t = 4096, valid = 10;
    Problem p = make(2, 8, 2, s, t, 72, 72, 41);
    set_mask_shape(p, 2, 1, s);
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t i = 0; i < s; ++i)
        for (int64_t j = 0; j < t; ++j) p.m(b, 0, i, j) = j >= valid - s + 1 + i || (b == 1 && j == 4);
    Problem clean = p;
    for (int64_t bh = 0; bh < 4; ++bh)
      for (int64_t j = 0; j < t; ++j)
        if (j >= valid || (bh >= 2 && j == 4))
          for (int64_t c = 0; c < 72; ++c) {  // past the prefix, and batch 1's masked hole
            const auto at = static_cast<size_t>((bh * t + j) * 72 + c);
            p.k[at] = p.v[at] = kNaN;
          }
    const std::vector<double> want = reference(clean);
    SerialParallel serial;
    for (Isa isa : nn_test::supported_isas()) {
      IsaScope scope(isa);
      const std::vector<float> poisoned = run(p, serial), fine = run(clean, serial);
      EXPECT_EQ(poisoned, fine) << isa_name(isa) << " s=" << s;
      EXPECT_LE(max_err(poisoned, want), 2e-6) << isa_name(isa) << " s=" << s;
    }
  }
}

TEST(NnAttention, WorkspaceIsSmallAndIndependentOfTheContextLength) {
  // Decode splits a long cache into at most 16 key chunks (their partial
  // softmax rows are the workspace's only part that a longer cache adds).
  Problem p = make(1, 32, 8, 1, 4096, 128, 128, 1);
  const uint64_t decode = attention_workspace_bytes(p.d);
  p.d.kv_len = int64_t{1} << 20;
  EXPECT_EQ(attention_workspace_bytes(p.d), decode);
  EXPECT_LE(decode, 512u * 1024u);
  p.d.kv_len = 64;
  EXPECT_LE(attention_workspace_bytes(p.d), decode);
  // Prefill: 16 slots of at most 128 rows (a key range of one block, as
  // here; 64 rows otherwise), 8 rows of scores and a transposed key block,
  // no [seq x ctx] matrix.
  p.d.q_len = 4096;
  EXPECT_LE(attention_workspace_bytes(p.d), 16u * 104u * 1024u);
  p.d.q_len = 1u << 16;
  EXPECT_LE(attention_workspace_bytes(p.d), 16u * 104u * 1024u);
  p.d.kv_len = 4096;  // several key blocks: 64 rows per slot
  EXPECT_LE(attention_workspace_bytes(p.d), 16u * 70u * 1024u);
}

// A 16-bit K and V (a bf16 or f16 KV cache) give exactly what f32 K and V
// holding the same (rounded) values give, on every ISA, for head dims with
// and without a vector tail, GQA and decode/prefill shapes.
// [batch, d1, d2, dim] -> [batch, d2, d1, dim]: heads-first to
// sequence-first with (heads, len), and back with (len, heads).
template <class T>
std::vector<T> swap_middle(const std::vector<T> &x, int64_t batch, int64_t d1, int64_t d2, int64_t dim) {
  std::vector<T> y(x.size());
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < d1; ++i)
      for (int64_t j = 0; j < d2; ++j)
        for (int64_t c = 0; c < dim; ++c)
          y[static_cast<size_t>(((b * d2 + j) * d1 + i) * dim + c)] = x[static_cast<size_t>(((b * d1 + i) * d2 + j) * dim + c)];
  return y;
}

// The sequence-major layout (dims.seq_major: q, k, v and y as [batch, len,
// heads, dim], a Linear's output viewed as heads) gives bit for bit what the
// head-major layout gives, on every ISA and with 2 threads: prefill with
// transposed key blocks (8 x 8 heads x 40 rows; keys in one block and in
// five, each block's value rows copied contiguous), with row dots (one head
// of 5 rows), decode over a long cache (key chunks merged), 16-bit K and V,
// padding and a fully masked row.
TEST(NnAttention, SequenceMajorLayoutEqualsHeadMajor) {
  struct Case {
    int64_t batch, heads, s, t, dim, vdim;
    KvDtype kv;
  };
  const Case cases[] = {{8, 8, 40, 150, 32, 32, KvDtype::f32}, {8, 8, 40, 300, 32, 32, KvDtype::f32},
                        {8, 8, 40, 40, 13, 24, KvDtype::f32},
                        {2, 1, 5, 70, 24, 24, KvDtype::f32},   {2, 4, 1, 2048, 64, 40, KvDtype::f32},
                        {2, 3, 5, 150, 72, 72, KvDtype::bf16}, {2, 3, 1, 600, 64, 64, KvDtype::f16}};
  uint32_t seed = 4000;
  for (const Case &c : cases) {
    Problem p = make(c.batch, c.heads, c.heads, c.s, c.t, c.dim, c.vdim, seed++);
    set_mask_shape(p, c.batch, 1, c.s);
    for (int64_t b = 0; b < c.batch; ++b)
      for (int64_t i = 0; i < c.s; ++i)
        for (int64_t j = 0; j < c.t; ++j)
          p.m(b, 0, i, j) = (c.s > 1 && j > c.t - c.s + i) || (b == 1 && j < 3) || (b == 0 && i == c.s - 1 && c.s > 1);
    std::vector<uint16_t> k16, v16;
    if (c.kv != KvDtype::f32) {
      auto narrow = [&](float x) { return c.kv == KvDtype::bf16 ? f32_to_bf16(x) : f32_to_f16(x); };
      for (float x : p.k) k16.push_back(narrow(x));
      for (float x : p.v) v16.push_back(narrow(x));
    }
    AttentionDims hm = p.d, sm = p.d;
    hm.kv = sm.kv = c.kv;
    sm.seq_major = true;
    const std::vector<float> qs = swap_middle(p.q, c.batch, c.heads, c.s, c.dim);
    const std::vector<float> ks = swap_middle(p.k, c.batch, c.heads, c.t, c.dim), vs = swap_middle(p.v, c.batch, c.heads, c.t, c.vdim);
    const std::vector<uint16_t> k16s = k16.empty() ? k16 : swap_middle(k16, c.batch, c.heads, c.t, c.dim);
    const std::vector<uint16_t> v16s = v16.empty() ? v16 : swap_middle(v16, c.batch, c.heads, c.t, c.vdim);
    const void *kh = k16.empty() ? static_cast<const void *>(p.k.data()) : k16.data();
    const void *vh = v16.empty() ? static_cast<const void *>(p.v.data()) : v16.data();
    const void *kq = k16s.empty() ? static_cast<const void *>(ks.data()) : k16s.data();
    const void *vq = v16s.empty() ? static_cast<const void *>(vs.data()) : v16s.data();
    const std::string what = "batch " + std::to_string(c.batch) + " heads " + std::to_string(c.heads) + " s " +
                             std::to_string(c.s) + " t " + std::to_string(c.t);
    SerialParallel serial;
    ThreadParallel two(2);
    for (Isa isa : nn_test::supported_isas()) {
      IsaScope scope(isa);
      const size_t n = static_cast<size_t>(c.batch * c.heads * c.s * c.vdim);
      std::vector<float> want(n, kNaN), got(n, kNaN);
      Workspace wh(attention_workspace_bytes(hm)), wq(attention_workspace_bytes(sm));
      attention(hm, p.q.data(), kh, vh, p.mask.data(), want.data(), wh.get(), serial);
      attention(sm, qs.data(), kq, vq, p.mask.data(), got.data(), wq.get(), two);
      EXPECT_EQ(swap_middle(got, c.batch, c.s, c.heads, c.vdim), want) << isa_name(isa) << " " << what;
    }
  }
}

TEST(NnAttention, SixteenBitKeysAndValuesEqualTheirF32Values) {
  for (KvDtype kv : {KvDtype::bf16, KvDtype::f16})
    for (int64_t dim : {64, 72, 13, 32})
      for (int64_t s : {1, 5}) {
        Problem p = make(2, 6, 2, s, 150, dim, dim, 77 + static_cast<uint32_t>(dim + s));
        set_mask_shape(p, 2, 1, s);
        for (int64_t b = 0; b < 2; ++b)
          for (int64_t i = 0; i < s; ++i)
            for (int64_t j = 0; j < p.d.kv_len; ++j) p.m(b, 0, i, j) = j > 140 - s + i;
        std::vector<uint16_t> k16(p.k.size()), v16(p.v.size());
        auto narrow = [kv](float x) { return kv == KvDtype::bf16 ? f32_to_bf16(x) : f32_to_f16(x); };
        auto widen = [kv](uint16_t h) { return kv == KvDtype::bf16 ? bf16_to_f32(h) : f16_to_f32(h); };
        for (size_t i = 0; i < p.k.size(); ++i) p.k[i] = widen(k16[i] = narrow(p.k[i]));
        for (size_t i = 0; i < p.v.size(); ++i) p.v[i] = widen(v16[i] = narrow(p.v[i]));
        SerialParallel serial;
        for (Isa isa : nn_test::supported_isas()) {
          IsaScope scope(isa);
          const std::vector<float> f32 = run(p, serial);
          AttentionDims d = p.d;
          d.kv = kv;
          std::vector<float> y(f32.size(), kNaN);
          Workspace ws(attention_workspace_bytes(d));
          attention(d, p.q.data(), k16.data(), v16.data(), p.mask.data(), y.data(), ws.get(), serial);
          EXPECT_EQ(y, f32) << isa_name(isa) << (kv == KvDtype::bf16 ? " bf16" : " f16") << " dim " << dim << " s " << s;
        }
      }
}

// MXINT8 K and V (an mxint8 KV cache, kernels/mxint8.hpp) give exactly what
// f32 K and V holding the values the rows stand for give, on every ISA: head
// dims with a partial last block (72, 13), v_dim != head_dim, GQA, decode
// and prefill, a fully masked row (the mean of every v row) and a finite
// masked_value whose weight does not underflow (masked rows added in).
TEST(NnAttention, MxInt8KeysAndValuesEqualTheirF32Values) {
  for (int64_t dim : {64, 72, 13})
    for (int64_t s : {1, 5})
      for (float masked_value : {-3.40282347e38f, -1.0f}) {
        const int64_t vdim = dim == 13 ? 40 : dim;
        const int64_t t = s == 1 && dim == 64 ? 1100 : 150;  // decode over a long cache: key chunks
        Problem p = make(2, 6, 2, s, t, dim, vdim, 91 + static_cast<uint32_t>(dim + s));
        p.d.masked_value = masked_value;
        set_mask_shape(p, 2, 1, s);
        for (int64_t b = 0; b < 2; ++b)
          for (int64_t i = 0; i < s; ++i)
            for (int64_t j = 0; j < p.d.kv_len; ++j) p.m(b, 0, i, j) = j > t - 10 - s + i || (b == 1 && i == 0);
        auto pack = [](std::vector<float> &x, int64_t d) {
          const int64_t rows = static_cast<int64_t>(x.size()) / d;
          std::vector<uint8_t> rows8(static_cast<size_t>(rows * mxint8_row_bytes(d)));
          mxint8_quantize_rows(x.data(), rows, d, rows8.data());
          mxint8_dequantize_rows(rows8.data(), mxint8_row_bytes(d), rows, d, x.data());
          return rows8;
        };
        const std::vector<uint8_t> k8 = pack(p.k, dim), v8 = pack(p.v, vdim);
        SerialParallel serial;
        for (Isa isa : nn_test::supported_isas()) {
          IsaScope scope(isa);
          const std::vector<float> f32 = run(p, serial);
          AttentionDims d = p.d;
          d.kv = KvDtype::mxint8;
          std::vector<float> y(f32.size(), kNaN);
          Workspace ws(attention_workspace_bytes(d));
          attention(d, p.q.data(), k8.data(), v8.data(), p.mask.data(), y.data(), ws.get(), serial);
          for (size_t i = 0; i < y.size(); ++i)
            ASSERT_TRUE(y[i] == f32[i] || (std::isnan(y[i]) && std::isnan(f32[i])))
                << isa_name(isa) << " dim " << dim << " s " << s << " masked_value " << masked_value << " at " << i
                << ": " << y[i] << " vs " << f32[i];
        }
      }
}

}  // namespace
