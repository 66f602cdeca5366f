// NomicBert encoders (nomic-ai's remote code modeling_hf_nomic_bert.py, as in
// nomic-ai/contrastors; e.g. nomic-embed-text-v1/v1.5): NomicBertModel.
// Word (+ token type 0) embeddings and emb_ln, no learned positions; post-norm
// blocks: norm1(x + out_proj(attention(rotary(Wqkv x)))), norm2(x + mlp(x)),
// where the MLP is gated (swiglu / glu / geglu: fc2(fc11(x) * act(fc12(x))),
// fc12 is the gate) or plain (gelu*: fc2(gelu(fc1(x))), exact erf GELU for
// every gelu name, as NomicBertMLP receives F.gelu). Rotary embeddings on the
// whole head (rotary_emb_fraction 1, GPT-NeoX rotate_half, base
// rotary_emb_base), cos/sin built from the positions 0..s-1 and folded by the
// compiler per specialization.
#include <cmath>

#include "common/error.hpp"
#include "models/encoder.hpp"

namespace qeff::models {
namespace {

// The configuration the builder covers (the remote code's NomicBertConfig
// defaults where config.json omits a field).
struct NomicConfig {
  bool qkv_bias = true, fc1_bias = true, fc2_bias = true;
  bool gated = false;
  std::string gate_act;  // gated MLPs: "silu", "sigmoid", "gelu"
  int64_t inter = 0;     // MLP hidden width (gated: n_inner rounded up to 256, NomciBertGatedMLP's multiple_of)
  int64_t vocab_rows = 0;
  double rotary_base = 10000.0;
};

NomicConfig read_config(const EncoderContext &ctx) {
  const JsonView c = ctx.config;
  auto flag = [&](const char *field, bool fallback) { return c.opt_bool(field).value_or(fallback); };
  if (flag("prenorm", false)) unsupported_config(ctx, "prenorm", "true", "false (post-norm blocks)");
  if (flag("causal", false)) unsupported_config(ctx, "causal", "true", "false (bidirectional attention)");
  if (flag("rotary_emb_interleaved", false))
    unsupported_config(ctx, "rotary_emb_interleaved", "true", "false (rotate_half)");
  if (flag("rotary_head_dim", false)) unsupported_config(ctx, "rotary_head_dim", "true", "false");
  if (JsonView f = c.get("rotary_emb_fraction"); !f.present() || f.as_double() != 1.0)
    unsupported_config(ctx, "rotary_emb_fraction", f.present() ? f.to_json() : "0.0 (absent)",
                       "1.0 (rotary on the whole head)");
  if (auto f = c.opt_double("rotary_scaling_factor"); f && *f != 0.0)
    unsupported_config(ctx, "rotary_scaling_factor", c.get("rotary_scaling_factor").to_json(),
                       "null (no dynamic NTK scaling)");
  if (auto kv = c.opt_int("num_heads_kv"); kv && *kv != ctx.heads())
    unsupported_config(ctx, "num_heads_kv", std::to_string(*kv), "null or n_head");
  if (auto moe = c.opt_int("moe_every_n_layers"); moe && *moe > 0)
    unsupported_config(ctx, "moe_every_n_layers", std::to_string(*moe), "0 (no mixture-of-experts layers)");

  NomicConfig n;
  n.qkv_bias = flag("qkv_proj_bias", true);
  n.fc1_bias = flag("mlp_fc1_bias", true);
  n.fc2_bias = flag("mlp_fc2_bias", true);
  n.rotary_base = c.opt_double("rotary_emb_base").value_or(10000.0);
  // activation_function; GPT2Config's default when absent.
  const std::string act = ctx.cfg.hidden_act.empty() ? "gelu_new" : ctx.cfg.hidden_act;
  if (act == "swiglu" || act == "glu" || act == "geglu") {
    n.gated = true;
    n.gate_act = act == "swiglu" ? "silu" : act == "glu" ? "sigmoid" : "gelu";
    n.inter = (ctx.cfg.intermediate_size + 255) / 256 * 256;
  } else if (act == "gelu" || act == "gelu_new" || act == "gelu_fast" || act == "gelu_pytorch_tanh") {
    n.inter = ctx.cfg.intermediate_size;
  } else {
    unsupported_config(ctx, "activation_function", act,
                       "swiglu, glu, geglu, gelu, gelu_new, gelu_fast, gelu_pytorch_tanh");
  }
  // NomicBertModel pads vocab_size up to pad_vocab_size_multiple.
  const int64_t multiple = c.opt_int("pad_vocab_size_multiple", 1, INT32_MAX).value_or(1);
  n.vocab_rows = (ctx.cfg.vocab_size + multiple - 1) / multiple * multiple;
  return n;
}

std::string embeddings(EncoderContext &ctx, const NomicConfig &n) {
  Layers &l = ctx.l;
  graph::GraphBuilder &b = l.b;
  const int64_t h = ctx.hidden();
  std::string x = l.embed(l.w.body("embeddings.word_embeddings.weight", {n.vocab_rows, h}), ctx.input_ids);
  if (const int64_t types = ctx.cfg.type_vocab_size.value_or(2); types > 0) {
    std::string table = l.w.body("embeddings.token_type_embeddings.weight", {types, h});
    // Without token_type_ids every token has type 0 (torch.zeros_like(input_ids)).
    std::string ids = ctx.token_type_ids.empty() ? b.constant_i64("type0", {0}, graph::Shape{}) : ctx.token_type_ids;
    x = b.op("Add", {x, l.embed(table, ids)});
  }
  return l.layer_norm(x, "emb_ln", h, ctx.eps(1e-5));
}

// NomicBertRotaryEmbedding cos/sin [1, s, d]: inv_freq = 1 / base^(2i/d) in
// float32 as torch computes it, freqs = outer(t, inv_freq), duplicated to d.
std::pair<std::string, std::string> rotary_tables(EncoderContext &ctx, const NomicConfig &n) {
  Layers &l = ctx.l;
  graph::GraphBuilder &b = l.b;
  const int64_t d = ctx.head_dim();
  std::vector<float> inv_freq;
  const float base = static_cast<float>(n.rotary_base);
  for (int64_t i = 0; i < d; i += 2)
    inv_freq.push_back(1.0f / std::pow(base, static_cast<float>(i) / static_cast<float>(d)));
  std::string t = b.op("Cast", {l.positions(ctx.input_ids)}, {{"to", int64_t{1}}});  // FLOAT
  std::string freqs = b.op("Mul", {b.op("Unsqueeze", {t, l.i64("axis1", {1})}), b.constant_f32("inv_freq", inv_freq)});
  std::string emb = b.op("Unsqueeze", {b.op("Concat", {freqs, freqs}, {{"axis", int64_t{-1}}}), l.i64("axis0", {0})});
  return {b.op("Cos", {emb}), b.op("Sin", {emb})};
}

std::string attention(EncoderContext &ctx, const NomicConfig &n, const std::string &x, const std::string &mask,
                      const std::pair<std::string, std::string> &rope, const std::string &p) {
  Layers &l = ctx.l;
  const int64_t h = ctx.hidden(), heads = ctx.heads(), d = ctx.head_dim();
  // Wqkv rows are (three h d): q, then k, then v.
  std::string qkv = l.linear(x, p + "attn.Wqkv", h, 3 * h, n.qkv_bias);
  std::vector<std::string> parts = l.b.op_n("Split", {qkv, l.i64("qkv_split", {h, h, h})}, 3, {{"axis", int64_t{-1}}});
  std::string q = l.rotary(l.split_heads(parts[0], heads, d), rope.first, rope.second);
  std::string k = l.rotary(l.split_heads(parts[1], heads, d), rope.first, rope.second);
  std::string v = l.split_heads(parts[2], heads, d);
  std::string c = l.merge_heads(l.attention(q, k, v, mask, 1.0 / std::sqrt(static_cast<double>(d))), heads, d);
  return l.linear(c, p + "attn.out_proj", h, h, n.qkv_bias);
}

std::string mlp(EncoderContext &ctx, const NomicConfig &n, const std::string &x, const std::string &p) {
  Layers &l = ctx.l;
  const int64_t h = ctx.hidden();
  std::string y;
  if (n.gated) {
    std::string gate = l.linear(x, p + "mlp.fc12", h, n.inter, n.fc1_bias);
    gate = n.gate_act == "sigmoid" ? l.b.op("Sigmoid", {gate}) : l.activation(gate, n.gate_act);
    y = l.b.op("Mul", {l.linear(x, p + "mlp.fc11", h, n.inter, n.fc1_bias), gate});
  } else {
    y = l.gelu_erf(l.linear(x, p + "mlp.fc1", h, n.inter, n.fc1_bias));
  }
  return l.linear(y, p + "mlp.fc2", n.inter, h, n.fc2_bias);
}

std::string body(EncoderContext &ctx) {
  Layers &l = ctx.l;
  const NomicConfig n = read_config(ctx);
  const int64_t h = ctx.hidden();
  const double eps = ctx.eps(1e-5);  // layer_norm_epsilon (GPT2Config default 1e-5)
  l.b.set_scope("embeddings");
  std::string x = embeddings(ctx, n);
  std::string mask = l.padding_mask(ctx.attention_mask);
  auto rope = rotary_tables(ctx, n);
  for (int64_t i = 0; i < ctx.cfg.num_hidden_layers; ++i) {
    const std::string p = "encoder.layers." + std::to_string(i) + ".";
    l.b.set_scope("layers." + std::to_string(i));
    x = l.layer_norm(l.b.op("Add", {attention(ctx, n, x, mask, rope, p), x}), p + "norm1", h, eps);
    x = l.layer_norm(l.b.op("Add", {mlp(ctx, n, x, p), x}), p + "norm2", h, eps);
  }
  l.b.set_scope("");
  return x;
}

// qeff registers no NomicBert classification architecture.
std::string classifier(EncoderContext &ctx, const std::string &) {
  fail(QEFF_E_UNSUPPORTED, ctx.cfg.architecture + ": the nomic_bert builder has no sequence-classification head");
}

bool uses_token_types(const EncoderContext &ctx) { return ctx.cfg.type_vocab_size.value_or(2) > 1; }

// Rotary positions have no table, so nothing in the graph bounds the length;
// the limit reported is the context the config declares (n_positions, e.g.
// 8192 for nomic-embed-text-v1.5), 0 when it declares none.
int64_t max_seq_len(const EncoderContext &ctx) { return ctx.cfg.max_position_embeddings.value_or(0); }

}  // namespace

const EncoderFamily &nomic_bert_family() {
  static const EncoderFamily f{"nomic_bert", body, classifier, uses_token_types, max_seq_len};
  return f;
}

}  // namespace qeff::models
