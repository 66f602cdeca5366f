// Reading config.json into a DecoderSpec: the fields Llama-like families
// share, rotary embeddings (HF's ROPE_INIT_FUNCTIONS: default, linear,
// llama3, dynamic) and the family registry.
#include <cmath>
#include <cstring>

#include "common/error.hpp"
#include "models/decoder.hpp"

namespace qeff::models {

void DecoderConfig::unsupported(const std::string &field, const std::string &value,
                                const std::string &supported) const {
  fail(QEFF_E_UNSUPPORTED, config.origin().name + ": " + field + " = " + quote(value, 64) +
                               " is not supported by the " + cfg.architecture + " builder (supported: " + supported +
                               ")");
}

namespace {

// inv_freq[i] = 1 / base^(2i / dim), in float32 as torch computes it.
std::vector<float> default_inv_freq(double base, int64_t dim) {
  std::vector<float> f;
  for (int64_t i = 0; i < dim; i += 2)
    f.push_back(1.0f / std::pow(static_cast<float>(base), static_cast<float>(i) / static_cast<float>(dim)));
  return f;
}

// HF _compute_llama3_parameters (float32 throughout).
void llama3_scale(std::vector<float> &inv_freq, const hub::RopeScaling &r, const DecoderConfig &c) {
  if (!r.low_freq_factor || !r.high_freq_factor || !r.original_max_position_embeddings)
    c.unsupported("rope_scaling", "llama3 without low_freq_factor, high_freq_factor or original_max_position_embeddings",
                  "all three given");
  const float factor = static_cast<float>(r.factor), low = static_cast<float>(*r.low_freq_factor),
              high = static_cast<float>(*r.high_freq_factor);
  const float old_ctx = static_cast<float>(*r.original_max_position_embeddings);
  const float low_wavelen = old_ctx / low, high_wavelen = old_ctx / high;
  for (float &f : inv_freq) {
    const float wavelen = static_cast<float>(2 * M_PI) / f;
    float scaled = wavelen > low_wavelen ? f / factor : f;
    if (!(wavelen < high_wavelen) && !(wavelen > low_wavelen)) {
      const float smooth = (old_ctx / wavelen - low) / (high - low);
      scaled = (1 - smooth) * scaled / factor + smooth * scaled;
    }
    f = scaled;
  }
}

}  // namespace

RopeSpec rope_spec(const DecoderConfig &c, int64_t head_dim) {
  RopeSpec r;
  r.dim = head_dim;
  if (c.cfg.partial_rotary_factor) r.dim = static_cast<int64_t>(static_cast<double>(head_dim) * *c.cfg.partial_rotary_factor);
  if (r.dim < 2 || r.dim % 2 != 0 || r.dim > head_dim)
    c.unsupported("partial_rotary_factor", std::to_string(c.cfg.partial_rotary_factor.value_or(1.0)),
                  "a factor giving an even number (>= 2) of rotary dims of head_dim " + std::to_string(head_dim));
  r.base = c.cfg.rope_theta;
  r.inv_freq = default_inv_freq(r.base, r.dim);
  if (!c.cfg.rope_scaling) return r;
  const hub::RopeScaling &s = *c.cfg.rope_scaling;
  if (s.type == "default") return r;
  if (s.type == "linear") {
    for (float &f : r.inv_freq) f /= static_cast<float>(s.factor);
  } else if (s.type == "llama3") {
    llama3_scale(r.inv_freq, s, c);
  } else if (s.type == "dynamic") {
    if (!c.cfg.max_position_embeddings) c.unsupported("rope_scaling", "dynamic without max_position_embeddings", "");
    r.dynamic = true;
    r.factor = s.factor;
    r.max_positions = *c.cfg.max_position_embeddings;
  } else {
    c.unsupported("rope_scaling.rope_type", s.type, "default, linear, llama3, dynamic");
  }
  return r;
}

DecoderSpec DecoderConfig::llama_like() const {
  DecoderSpec s;
  s.vocab = cfg.vocab_size;
  s.hidden = cfg.hidden_size;
  s.layers = cfg.num_hidden_layers;
  s.heads = cfg.num_attention_heads;
  s.kv_heads = cfg.num_key_value_heads;
  s.head_dim = cfg.head_dim;
  s.inter = cfg.intermediate_size;
  s.eps = cfg.norm_eps.value_or(1e-6);
  s.act = cfg.hidden_act.empty() ? "silu" : cfg.hidden_act;
  s.embed = "model.embed_tokens.weight";
  s.final_norm = "model.norm";
  s.lm_head = cfg.tie_word_embeddings ? "" : "lm_head.weight";
  s.layer_prefix = "model.layers.";
  s.q = "self_attn.q_proj";
  s.k = "self_attn.k_proj";
  s.v = "self_attn.v_proj";
  s.o = "self_attn.o_proj";
  s.qkv_bias = s.o_bias = cfg.attention_bias;
  s.gate = "mlp.gate_proj";
  s.up = "mlp.up_proj";
  s.down = "mlp.down_proj";
  s.mlp_bias = config.opt_bool("mlp_bias").value_or(false);
  s.norm1 = "input_layernorm";
  s.norm2 = "post_attention_layernorm";
  s.window.assign(static_cast<size_t>(s.layers), cfg.sliding_window.value_or(0));
  s.rope = rope_spec(*this, s.head_dim);
  return s;
}

SpecReader find_decoder_family(const std::string &family) {
  struct Entry {
    const char *family;
    SpecReader reader;
  };
  static const Entry table[] = {{"llama", llama_spec},           {"gemma", gemma_spec}, {"phi3", phi3_spec},
                                {"starcoder2", starcoder2_spec}, {"gpt2", gpt2_spec}};
  for (const Entry &e : table)
    if (family == e.family) return e.reader;
  return nullptr;
}

}  // namespace qeff::models
