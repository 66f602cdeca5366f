// Phi-3: the Llama layout with a fused qkv_proj ([q; k; v] rows) and a fused
// gate_up_proj ([gate; up] rows), no biases, sliding window from config.
#include "common/error.hpp"
#include "models/decoder.hpp"

namespace qeff::models {

DecoderSpec phi3_spec(const DecoderConfig &c) {
  DecoderSpec s = c.llama_like();
  s.qkv = "self_attn.qkv_proj";
  s.qkv_bias = s.o_bias = false;
  s.mlp = MlpKind::kFusedGated;
  s.gate_up = "mlp.gate_up_proj";
  s.mlp_bias = false;
  return s;
}

}  // namespace qeff::models
