// BERT, RoBERTa and XLM-RoBERTa encoders (transformers 4.47 modeling_bert.py,
// modeling_roberta.py, modeling_xlm_roberta.py; eager attention) and their
// sequence-classification heads. RoBERTa-style models differ only in their
// position ids (counted from padding_idx + 1 over the non-pad tokens) and
// their classification head.
#include <cmath>

#include "common/error.hpp"
#include "models/encoder.hpp"

namespace qeff::models {
namespace {

bool roberta_style(const EncoderContext &ctx) {
  return ctx.cfg.model_type == "roberta" || ctx.cfg.model_type == "xlm-roberta";
}

int64_t padding_idx(const EncoderContext &ctx) { return ctx.cfg.pad_token_id.value_or(1); }

std::string embeddings(EncoderContext &ctx) {
  Layers &l = ctx.l;
  graph::GraphBuilder &b = l.b;
  const int64_t h = ctx.hidden();
  if (auto t = ctx.config.opt_string("position_embedding_type"); t && *t != "absolute")
    unsupported_config(ctx, "position_embedding_type", *t, "absolute");
  if (!ctx.cfg.max_position_embeddings) unsupported_config(ctx, "max_position_embeddings", "absent", "a positive size");
  const int64_t positions = *ctx.cfg.max_position_embeddings;
  std::string x = l.embed(l.w.body("embeddings.word_embeddings.weight", {ctx.cfg.vocab_size, h}), ctx.input_ids);
  std::string pos_table = l.w.body("embeddings.position_embeddings.weight", {positions, h});
  std::string pos_ids = roberta_style(ctx) ? l.padded_positions(ctx.input_ids, padding_idx(ctx)) : l.positions(ctx.input_ids);
  x = b.op("Add", {x, l.embed(pos_table, pos_ids)});
  const int64_t types = ctx.cfg.type_vocab_size.value_or(2);
  std::string type_table = l.w.body("embeddings.token_type_embeddings.weight", {types, h});
  // Without token_type_ids every token has type 0 (HF's buffered zeros).
  std::string type_ids = ctx.token_type_ids.empty() ? b.constant_i64("type0", {0}, graph::Shape{}) : ctx.token_type_ids;
  x = b.op("Add", {x, l.embed(type_table, type_ids)});
  return l.layer_norm(x, "embeddings.LayerNorm", h, ctx.eps());
}

std::string layer(EncoderContext &ctx, const std::string &x, const std::string &mask, int64_t i) {
  Layers &l = ctx.l;
  graph::GraphBuilder &b = l.b;
  const int64_t h = ctx.hidden(), heads = ctx.heads(), d = ctx.head_dim(), inter = ctx.cfg.intermediate_size;
  const std::string p = "encoder.layer." + std::to_string(i) + ".";
  b.set_scope("layers." + std::to_string(i));
  std::string q = l.split_heads(l.linear(x, p + "attention.self.query", h, h), heads, d);
  std::string k = l.split_heads(l.linear(x, p + "attention.self.key", h, h), heads, d);
  std::string v = l.split_heads(l.linear(x, p + "attention.self.value", h, h), heads, d);
  std::string ctx_v = l.merge_heads(l.attention(q, k, v, mask, 1.0 / std::sqrt(static_cast<double>(d))), heads, d);
  return l.post_norm_sublayers(x, ctx_v,
                               {p + "attention.output.dense", p + "attention.output.LayerNorm", p + "intermediate.dense",
                                p + "output.dense", p + "output.LayerNorm"},
                               h, inter, ctx.cfg.hidden_act, ctx.eps());
}

std::string body(EncoderContext &ctx) {
  ctx.l.b.set_scope("embeddings");
  std::string x = embeddings(ctx);
  std::string mask = ctx.l.padding_mask(ctx.attention_mask);
  for (int64_t i = 0; i < ctx.cfg.num_hidden_layers; ++i) x = layer(ctx, x, mask, i);
  ctx.l.b.set_scope("");
  return x;
}

std::string classifier(EncoderContext &ctx, const std::string &hidden) {
  Layers &l = ctx.l;
  const int64_t h = ctx.hidden();
  l.b.set_scope("classifier");
  std::string cls = l.first_token(hidden);
  std::string logits;
  if (roberta_style(ctx)) {  // RobertaClassificationHead: dense, tanh, out_proj on <s>
    std::string x = l.b.op("Tanh", {l.linear(cls, "classifier.dense", h, h, true, true)});
    logits = l.linear(x, "classifier.out_proj", h, ctx.num_labels, true, true);
  } else {  // BertPooler (dense, tanh on [CLS]) then the classifier
    std::string pooled = l.b.op("Tanh", {l.linear(cls, "pooler.dense", h, h)});
    logits = l.linear(pooled, "classifier", h, ctx.num_labels, true, true);
  }
  l.b.set_scope("");
  return logits;
}

bool uses_token_types(const EncoderContext &ctx) { return ctx.cfg.type_vocab_size.value_or(2) > 1; }

int64_t max_seq_len(const EncoderContext &ctx) {
  const int64_t n = ctx.cfg.max_position_embeddings.value_or(0);
  return roberta_style(ctx) ? std::max<int64_t>(n - padding_idx(ctx) - 1, 0) : n;
}

}  // namespace

const EncoderFamily &bert_family() {
  static const EncoderFamily f{"bert", body, classifier, uses_token_types, max_seq_len};
  return f;
}

}  // namespace qeff::models
