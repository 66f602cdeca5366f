// Gemma and Gemma2: embeddings scaled by sqrt(hidden), RMSNorm with (1 + w),
// GELU (tanh) gated MLP, tied head. Gemma2 adds sandwich norms (pre/post
// feed-forward), attention and final logit soft-capping, the
// query_pre_attn_scalar attention scale and sliding-window attention on the
// even layers.
#include <cmath>

#include "common/error.hpp"
#include "models/decoder.hpp"

namespace qeff::models {

DecoderSpec gemma_spec(const DecoderConfig &c) {
  DecoderSpec s = c.llama_like();
  const JsonView j = c.config;
  s.norm = NormKind::kRmsPlusOne;
  s.act = j.opt_string("hidden_activation").value_or("gelu_pytorch_tanh");
  // Gemma scales by sqrt(hidden) rounded to the embedding dtype (float32 here).
  s.embed_scale = static_cast<float>(std::sqrt(static_cast<double>(s.hidden)));
  if (c.cfg.model_type != "gemma2") {
    s.window.assign(static_cast<size_t>(s.layers), 0);
    return s;
  }
  s.block = BlockKind::kSandwich;
  s.norm2 = "post_attention_layernorm";
  s.norm3 = "pre_feedforward_layernorm";
  s.norm4 = "post_feedforward_layernorm";
  if (auto q = j.opt_double("query_pre_attn_scalar")) {
    if (*q <= 0) c.unsupported("query_pre_attn_scalar", std::to_string(*q), "a positive value");
    s.attn_scale = 1.0 / std::sqrt(*q);
  }
  s.attn_softcap = j.opt_double("attn_logit_softcapping").value_or(0.0);
  s.final_softcap = j.opt_double("final_logit_softcapping").value_or(0.0);
  // Gemma2DecoderLayer: layers 0, 2, 4, ... use the sliding window.
  const int64_t w = c.cfg.sliding_window.value_or(0);
  for (int64_t i = 0; i < s.layers; ++i) s.window[static_cast<size_t>(i)] = i % 2 == 0 ? w : 0;
  return s;
}

}  // namespace qeff::models
