// StarCoder2: LayerNorm (with bias, norm_epsilon), biased projections
// (use_bias), a plain MLP c_fc -> act -> c_proj, sliding window, tied head.
#include "common/error.hpp"
#include "models/decoder.hpp"

namespace qeff::models {

DecoderSpec starcoder2_spec(const DecoderConfig &c) {
  DecoderSpec s = c.llama_like();
  s.norm = NormKind::kLayerNorm;
  s.eps = c.cfg.norm_eps.value_or(1e-5);
  const bool bias = c.config.opt_bool("use_bias").value_or(true);
  s.qkv_bias = s.o_bias = s.mlp_bias = bias;
  s.mlp = MlpKind::kPlain;
  s.up = "mlp.c_fc";
  s.down = "mlp.c_proj";
  s.act = c.cfg.hidden_act.empty() ? "gelu_pytorch_tanh" : c.cfg.hidden_act;
  return s;
}

}  // namespace qeff::models
