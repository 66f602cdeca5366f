// MPNet encoders (transformers 4.47 modeling_mpnet.py): MPNetModel and
// MPNetForSequenceClassification. BERT-like post-norm layers without token
// types, RoBERTa-style position ids (padding_idx 1, hardcoded by HF), and a
// relative position bias (encoder.relative_attention_bias, [buckets, heads])
// computed once from the sequence length and added to the attention scores of
// every layer. The qeff Attention op has no additive input, so MPNet attention
// is written with standard ops as HF does: softmax(Q K^T / sqrt(d) + bias +
// (1 - mask) * finfo.min) V.
#include <algorithm>
#include <cmath>
#include <limits>

#include "models/encoder.hpp"

namespace qeff::models {
namespace {

constexpr int64_t kPaddingIdx = 1;  // MPNetEmbeddings.padding_idx (not read from the config)
// MPNetEncoder.compute_position_bias calls relative_position_bucket with its
// defaults whatever relative_attention_num_buckets says.
constexpr int64_t kNumBuckets = 32, kMaxDistance = 128;

int64_t max_positions(const EncoderContext &ctx) {
  if (!ctx.cfg.max_position_embeddings) unsupported_config(ctx, "max_position_embeddings", "absent", "a positive size");
  return *ctx.cfg.max_position_embeddings;
}

// relative_position_bucket(memory - context = r) with 32 buckets and max distance
// 128: 16 buckets per direction (r > 0 adds 16), exact for |r| < 8, then
// 8 + floor(8 log(|r| / 8) / log(16)) capped at 15. The logarithmic part is
// evaluated exactly in integers (the largest k with (|r| / 8)^8 >= 16^k),
// which agrees with torch's float32 evaluation for every r (checked against
// transformers for |r| < 5000; the boundaries |r| = 16, 32, 64 are exact).
int64_t relative_bucket(int64_t r) {
  static_assert(kNumBuckets == 32 && kMaxDistance == 128, "the integer form below assumes these");
  const int64_t ret = r > 0 ? kNumBuckets / 2 : 0, n = r < 0 ? -r : r;
  if (n < 8) return ret + n;
  if (n >= kMaxDistance) return ret + 15;
  const int64_t n8 = n * n * n * n * n * n * n * n;  // < 2^56
  int64_t k = 0;
  while (k < 7 && n8 >= (int64_t{1} << (24 + 4 * (k + 1)))) ++k;
  return ret + 8 + k;
}

// The position bias [1, heads, s, s]: a bucket table over r in
// [-(P-1), P-1] (P = max_position_embeddings) gathered by (j - i) + P - 1,
// then the bias weights gathered by bucket. Depends on seq_len only, so the
// compiler folds it per specialization.
std::string position_bias(EncoderContext &ctx) {
  Layers &l = ctx.l;
  graph::GraphBuilder &b = l.b;
  const int64_t p = max_positions(ctx);
  const int64_t rows = ctx.config.opt_int("relative_attention_num_buckets", 1, INT32_MAX).value_or(kNumBuckets);
  if (rows < kNumBuckets)
    unsupported_config(ctx, "relative_attention_num_buckets", std::to_string(rows), "at least 32 (HF always uses 32)");
  std::vector<int64_t> table;
  for (int64_t r = -(p - 1); r <= p - 1; ++r) table.push_back(relative_bucket(r));
  std::string pos = l.positions(ctx.input_ids);
  std::string memory = b.op("Unsqueeze", {pos, l.i64("axis0", {0})});   // [1, s]: j
  std::string context = b.op("Unsqueeze", {pos, l.i64("axis1", {1})});  // [s, 1]: i
  std::string rel = b.op("Sub", {memory, context});
  std::string bucket = l.embed(l.i64("relative_buckets", table), b.op("Add", {rel, l.i64("offset", {p - 1})}));
  std::string values = l.embed(l.w.body("encoder.relative_attention_bias.weight", {rows, ctx.heads()}), bucket);
  std::string hss = b.op("Transpose", {values}, {{"perm", std::vector<int64_t>{2, 0, 1}}});
  return b.op("Unsqueeze", {hss, l.i64("axis0", {0})});
}

// get_extended_attention_mask: (1 - mask[:, None, None, :]) * finfo(float32).min.
std::string additive_mask(EncoderContext &ctx) {
  graph::GraphBuilder &b = ctx.l.b;
  std::string m = b.op("Cast", {ctx.attention_mask}, {{"to", int64_t{1}}});  // FLOAT
  std::string inv = b.op("Sub", {ctx.l.f32("one", 1.0f), m});
  std::string add = b.op("Mul", {inv, ctx.l.f32("finfo_min", std::numeric_limits<float>::lowest())});
  return b.op("Unsqueeze", {add, ctx.l.i64("axes_1_2", {1, 2})});
}

// The per-model inputs of every layer's attention: the position bias [1, heads, s, s]
// (a constant per specialization) and the additive padding mask [b, 1, 1, s].
struct Biases {
  std::string position, mask;
};

// MPNetSelfAttention: softmax((Q K^T / sqrt(d) + position bias) + mask) V, in HF's
// order (adding the two biases once up front would keep a [b, heads, s, s]
// tensor alive through every layer).
std::string attention(EncoderContext &ctx, const std::string &q, const std::string &k, const std::string &v,
                      const Biases &bias) {
  graph::GraphBuilder &b = ctx.l.b;
  std::string kt = b.op("Transpose", {k}, {{"perm", std::vector<int64_t>{0, 1, 3, 2}}});
  const float sqrt_d = static_cast<float>(std::sqrt(static_cast<double>(ctx.head_dim())));
  std::string scores = b.op("Div", {b.op("MatMul", {q, kt}), ctx.l.f32("sqrt_d", sqrt_d)});
  scores = b.op("Add", {b.op("Add", {scores, bias.position}), bias.mask});
  std::string probs = b.op("Softmax", {scores}, {{"axis", int64_t{-1}}});
  return b.op("MatMul", {probs, v});
}

std::string layer(EncoderContext &ctx, const std::string &x, const Biases &bias, int64_t i) {
  Layers &l = ctx.l;
  const int64_t h = ctx.hidden(), heads = ctx.heads(), d = ctx.head_dim(), inter = ctx.cfg.intermediate_size;
  const std::string p = "encoder.layer." + std::to_string(i) + ".";
  l.b.set_scope("layers." + std::to_string(i));
  std::string q = l.split_heads(l.linear(x, p + "attention.attn.q", h, h), heads, d);
  std::string k = l.split_heads(l.linear(x, p + "attention.attn.k", h, h), heads, d);
  std::string v = l.split_heads(l.linear(x, p + "attention.attn.v", h, h), heads, d);
  const std::string act = ctx.cfg.hidden_act.empty() ? "gelu" : ctx.cfg.hidden_act;  // hidden_act, HF default gelu
  return l.post_norm_sublayers(x, l.merge_heads(attention(ctx, q, k, v, bias), heads, d),
                               {p + "attention.attn.o", p + "attention.LayerNorm", p + "intermediate.dense",
                                p + "output.dense", p + "output.LayerNorm"},
                               h, inter, act, ctx.eps());
}

std::string body(EncoderContext &ctx) {
  Layers &l = ctx.l;
  const int64_t h = ctx.hidden();
  l.b.set_scope("embeddings");
  std::string x = l.embed(l.w.body("embeddings.word_embeddings.weight", {ctx.cfg.vocab_size, h}), ctx.input_ids);
  std::string pos = l.w.body("embeddings.position_embeddings.weight", {max_positions(ctx), h});
  x = l.b.op("Add", {x, l.embed(pos, l.padded_positions(ctx.input_ids, kPaddingIdx))});
  x = l.layer_norm(x, "embeddings.LayerNorm", h, ctx.eps());
  l.b.set_scope("encoder");
  const Biases bias{position_bias(ctx), additive_mask(ctx)};
  for (int64_t i = 0; i < ctx.cfg.num_hidden_layers; ++i) x = layer(ctx, x, bias, i);
  l.b.set_scope("");
  return x;
}

// MPNetClassificationHead: out_proj(tanh(dense(hidden[:, 0]))).
std::string classifier(EncoderContext &ctx, const std::string &hidden) {
  Layers &l = ctx.l;
  const int64_t h = ctx.hidden();
  l.b.set_scope("classifier");
  std::string x = l.b.op("Tanh", {l.linear(l.first_token(hidden), "classifier.dense", h, h, true, true)});
  std::string logits = l.linear(x, "classifier.out_proj", h, ctx.num_labels, true, true);
  l.b.set_scope("");
  return logits;
}

bool uses_token_types(const EncoderContext &) { return false; }

// Positions run from padding_idx + 1.
int64_t max_seq_len(const EncoderContext &ctx) {
  return std::max<int64_t>(ctx.cfg.max_position_embeddings.value_or(0) - kPaddingIdx - 1, 0);
}

}  // namespace

const EncoderFamily &mpnet_family() {
  static const EncoderFamily f{"mpnet", body, classifier, uses_token_types, max_seq_len};
  return f;
}

}  // namespace qeff::models
