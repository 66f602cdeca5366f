// The Llama family readers: Llama (1/2/3), Mistral, Qwen2, Qwen3, Granite and
// OLMo2 share the Llama layout (model.layers.N.self_attn.{q,k,v,o}_proj,
// mlp.{gate,up,down}_proj, RMSNorm) and differ in a few fields.
#include "common/error.hpp"
#include "models/decoder.hpp"

namespace qeff::models {

DecoderSpec llama_spec(const DecoderConfig &c) {
  DecoderSpec s = c.llama_like();
  const std::string &mt = c.cfg.model_type;
  if (mt == "qwen2") {
    s.qkv_bias = true;  // Qwen2Attention: q/k/v with bias, o_proj without
    s.o_bias = false;
  } else if (mt == "qwen3") {
    s.qk_norm = QkNorm::kPerHead;
    s.q_norm = "self_attn.q_norm";
    s.k_norm = "self_attn.k_norm";
  } else if (mt == "olmo2") {
    s.qk_norm = QkNorm::kFull;
    s.q_norm = "self_attn.q_norm";
    s.k_norm = "self_attn.k_norm";
    s.block = BlockKind::kPostNorm;
    s.norm1.clear();
    s.norm2 = "post_attention_layernorm";
    s.norm4 = "post_feedforward_layernorm";
  } else if (mt == "granite") {
    const JsonView j = c.config;
    s.embed_scale = j.opt_double("embedding_multiplier").value_or(1.0);
    s.attn_scale = j.opt_double("attention_multiplier").value_or(1.0);
    s.residual_scale = j.opt_double("residual_multiplier").value_or(1.0);
    s.logits_divisor = j.opt_double("logits_scaling").value_or(1.0);
    if (s.logits_divisor == 0.0) c.unsupported("logits_scaling", "0", "a non-zero divisor");
  }
  if ((mt == "qwen2" || mt == "qwen3") && c.config.opt_bool("use_sliding_window").value_or(false))
    c.unsupported("use_sliding_window", "true", "false (Qwen sliding-window layers are not implemented)");
  if (mt == "llama" || mt == "qwen2" || mt == "qwen3" || mt == "granite" || mt == "olmo2")
    s.window.assign(static_cast<size_t>(s.layers), 0);  // no sliding window in these architectures
  return s;
}

}  // namespace qeff::models
