// DistilBERT encoders (transformers 4.47 modeling_distilbert.py, eager
// attention): DistilBertModel and DistilBertForSequenceClassification. Like
// BERT without token types: word + learned position embeddings (also when
// sinusoidal_pos_embds is set: the table is stored in the checkpoint), post-norm
// layers, LayerNorm eps fixed at 1e-12 (HF hardcodes it; the config has no field).
#include <cmath>

#include "models/encoder.hpp"

namespace qeff::models {
namespace {

constexpr double kEps = 1e-12;

std::string embeddings(EncoderContext &ctx) {
  Layers &l = ctx.l;
  const int64_t h = ctx.hidden();
  if (!ctx.cfg.max_position_embeddings) unsupported_config(ctx, "max_position_embeddings", "absent", "a positive size");
  std::string x = l.embed(l.w.body("embeddings.word_embeddings.weight", {ctx.cfg.vocab_size, h}), ctx.input_ids);
  std::string pos = l.w.body("embeddings.position_embeddings.weight", {*ctx.cfg.max_position_embeddings, h});
  x = l.b.op("Add", {x, l.embed(pos, l.positions(ctx.input_ids))});
  return l.layer_norm(x, "embeddings.LayerNorm", h, kEps);
}

// TransformerBlock: sa_layer_norm(attention(x) + x), output_layer_norm(ffn(a) + a).
std::string layer(EncoderContext &ctx, const std::string &x, const std::string &mask, int64_t i) {
  Layers &l = ctx.l;
  const int64_t h = ctx.hidden(), heads = ctx.heads(), d = ctx.head_dim(), inter = ctx.cfg.intermediate_size;
  const std::string p = "transformer.layer." + std::to_string(i) + ".";
  l.b.set_scope("layers." + std::to_string(i));
  std::string q = l.split_heads(l.linear(x, p + "attention.q_lin", h, h), heads, d);
  std::string k = l.split_heads(l.linear(x, p + "attention.k_lin", h, h), heads, d);
  std::string v = l.split_heads(l.linear(x, p + "attention.v_lin", h, h), heads, d);
  std::string c = l.merge_heads(l.attention(q, k, v, mask, 1.0 / std::sqrt(static_cast<double>(d))), heads, d);
  const std::string act = ctx.cfg.hidden_act.empty() ? "gelu" : ctx.cfg.hidden_act;  // activation, HF default gelu
  return l.post_norm_sublayers(x, c,
                               {p + "attention.out_lin", p + "sa_layer_norm", p + "ffn.lin1", p + "ffn.lin2",
                                p + "output_layer_norm"},
                               h, inter, act, kEps);
}

std::string body(EncoderContext &ctx) {
  ctx.l.b.set_scope("embeddings");
  std::string x = embeddings(ctx);
  std::string mask = ctx.l.padding_mask(ctx.attention_mask);
  for (int64_t i = 0; i < ctx.cfg.num_hidden_layers; ++i) x = layer(ctx, x, mask, i);
  ctx.l.b.set_scope("");
  return x;
}

// DistilBertForSequenceClassification: classifier(relu(pre_classifier(hidden[:, 0]))).
std::string classifier(EncoderContext &ctx, const std::string &hidden) {
  Layers &l = ctx.l;
  const int64_t h = ctx.hidden();
  l.b.set_scope("classifier");
  std::string x = l.b.op("Relu", {l.linear(l.first_token(hidden), "pre_classifier", h, h, true, true)});
  std::string logits = l.linear(x, "classifier", h, ctx.num_labels, true, true);
  l.b.set_scope("");
  return logits;
}

bool uses_token_types(const EncoderContext &) { return false; }

int64_t max_seq_len(const EncoderContext &ctx) { return ctx.cfg.max_position_embeddings.value_or(0); }

}  // namespace

const EncoderFamily &distilbert_family() {
  static const EncoderFamily f{"distilbert", body, classifier, uses_token_types, max_seq_len};
  return f;
}

}  // namespace qeff::models
