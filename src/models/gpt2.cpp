// GPT-2: learned absolute positions (wpe), Conv1D weights stored [in, out],
// fused c_attn with bias, LayerNorm, gelu_new MLP, tied head.
#include "common/error.hpp"
#include "models/decoder.hpp"

namespace qeff::models {

DecoderSpec gpt2_spec(const DecoderConfig &c) {
  const hub::ModelConfig &cfg = c.cfg;
  const JsonView j = c.config;
  if (j.opt_bool("scale_attn_by_inverse_layer_idx").value_or(false))
    c.unsupported("scale_attn_by_inverse_layer_idx", "true", "false");
  if (!j.opt_bool("scale_attn_weights").value_or(true)) c.unsupported("scale_attn_weights", "false", "true");
  DecoderSpec s;
  s.vocab = cfg.vocab_size;
  s.hidden = cfg.hidden_size;
  s.layers = cfg.num_hidden_layers;
  s.heads = s.kv_heads = cfg.num_attention_heads;
  s.head_dim = cfg.head_dim;
  s.inter = cfg.intermediate_size;
  s.eps = cfg.norm_eps.value_or(1e-5);
  s.norm = NormKind::kLayerNorm;
  s.mlp = MlpKind::kPlain;
  s.act = cfg.hidden_act.empty() ? "gelu_new" : cfg.hidden_act;
  s.conv1d = true;
  s.embed = "transformer.wte.weight";
  s.learned_positions = "transformer.wpe.weight";
  s.max_positions = cfg.max_position_embeddings.value_or(1024);
  s.final_norm = "transformer.ln_f";
  s.lm_head = cfg.tie_word_embeddings ? "" : "lm_head.weight";
  s.layer_prefix = "transformer.h.";
  s.qkv = "attn.c_attn";
  s.o = "attn.c_proj";
  s.qkv_bias = s.o_bias = s.mlp_bias = true;
  s.up = "mlp.c_fc";
  s.down = "mlp.c_proj";
  s.norm1 = "ln_1";
  s.norm2 = "ln_2";
  s.window.assign(static_cast<size_t>(s.layers), 0);
  s.rope.enabled = false;
  return s;
}

}  // namespace qeff::models
