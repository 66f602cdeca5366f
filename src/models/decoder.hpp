// Decoder-only causal LMs: one DecoderSpec describes a family's math (norms,
// attention, MLP, block layout, rotary or learned positions, head), each
// family file reads config.json into a spec (llama.cpp, gemma.cpp, phi3.cpp,
// starcoder2.cpp, gpt2.cpp), and decoder.cpp writes the graph with the KV
// cache as retained state (transforms/kv_cache.hpp).
#pragma once

#include <string>
#include <vector>

#include "common/json.hpp"
#include "hub/config.hpp"

namespace qeff::models {

enum class NormKind {
  kRms,         // x / sqrt(mean(x^2) + eps) * w
  kRmsPlusOne,  // Gemma: ... * (1 + w)
  kLayerNorm,   // LayerNorm with weight and bias
};

enum class BlockKind {
  kPreNorm,   // h = x + attn(n1(x)); y = h + mlp(n2(h))                         (Llama, ...)
  kSandwich,  // h = x + n2(attn(n1(x))); y = h + n4(mlp(n3(h)))                 (Gemma2)
  kPostNorm,  // h = x + n2(attn(x)); y = h + n4(mlp(h))                          (OLMo2)
};

enum class MlpKind {
  kGated,       // down(act(gate(x)) * up(x))
  kFusedGated,  // gate_up split in halves: down(up * act(gate))                  (Phi-3)
  kPlain,       // down(act(up(x)))                                               (GPT-2, StarCoder2)
};

enum class QkNorm {
  kNone,
  kPerHead,  // RMSNorm over head_dim of every head (Qwen3)
  kFull,     // RMSNorm over the whole projection (OLMo2)
};

// Rotary position embeddings: inv_freq of the config's rope type (default,
// linear, llama3) folded at build time, or dynamic NTK computed in the graph
// from the run's largest position.
struct RopeSpec {
  bool enabled = true;
  int64_t dim = 0;              // rotary dims of each head (partial_rotary_factor)
  std::vector<float> inv_freq;  // dim / 2 values
  bool dynamic = false;         // "dynamic": base grows once positions exceed max_positions
  double base = 10000.0, factor = 1.0;
  int64_t max_positions = 0;
};

struct DecoderSpec {
  int64_t vocab = 0, hidden = 0, layers = 0, heads = 0, kv_heads = 0, head_dim = 0, inter = 0;
  double eps = 1e-6;
  NormKind norm = NormKind::kRms;
  BlockKind block = BlockKind::kPreNorm;
  MlpKind mlp = MlpKind::kGated;
  QkNorm qk_norm = QkNorm::kNone;
  std::string act = "silu";
  bool conv1d = false;  // GPT-2: linear weights stored [in, out]

  // Checkpoint names. Layer names are relative to `layer_prefix` + index + ".".
  std::string embed, learned_positions, final_norm, lm_head;  // lm_head "": tied to embed
  std::string layer_prefix;
  std::string q, k, v, qkv, o, q_norm, k_norm;  // qkv: fused (then q/k/v unused)
  bool qkv_bias = false, o_bias = false;
  std::string gate, up, gate_up, down;           // gate_up: fused; kPlain uses up/down
  bool mlp_bias = false;
  std::string norm1, norm2, norm3, norm4;        // see BlockKind

  double embed_scale = 1.0;     // Gemma sqrt(hidden), Granite embedding_multiplier
  double attn_scale = 0.0;      // 0: 1/sqrt(head_dim)
  double attn_softcap = 0.0;    // Gemma2 attn_logit_softcapping (0: off)
  double residual_scale = 1.0;  // Granite residual_multiplier
  double logits_divisor = 1.0;  // Granite logits_scaling
  double final_softcap = 0.0;   // Gemma2 final_logit_softcapping
  std::vector<int64_t> window;  // per layer sliding window, 0: none
  int64_t max_positions = 0;    // learned positions: table rows (the context limit)
  RopeSpec rope;
};

// What a family file gets to read its configuration.
struct DecoderConfig {
  const hub::ModelConfig &cfg;
  JsonView config;  // config.json root (text_config for nested configs)

  // QEFF_E_UNSUPPORTED naming the field and value and what is supported.
  [[noreturn]] void unsupported(const std::string &field, const std::string &value,
                                const std::string &supported) const;
  // The spec fields every Llama-like family shares: sizes, names of the
  // model.layers.N.self_attn / mlp / norm tensors, rotary, sliding window.
  DecoderSpec llama_like() const;
};

// The rotary spec of `cfg` (rope_theta, rope_scaling, partial_rotary_factor).
RopeSpec rope_spec(const DecoderConfig &c, int64_t head_dim);

// Family readers (one file each).
DecoderSpec llama_spec(const DecoderConfig &c);       // Llama, Mistral, Qwen2, Qwen3, Granite, OLMo2
DecoderSpec gemma_spec(const DecoderConfig &c);       // Gemma, Gemma2
DecoderSpec phi3_spec(const DecoderConfig &c);
DecoderSpec starcoder2_spec(const DecoderConfig &c);
DecoderSpec gpt2_spec(const DecoderConfig &c);

struct Layers;
// Writes the graph of `spec` (inputs input_ids and position_ids already
// declared): past_key.N / past_value.N inputs, then outputs logits
// [batch_size, 1, vocab] and the *_RetainedState caches (of element type
// kv_dtype: F32, F16 or BF16). Returns logits.
std::string build_decoder(const DecoderSpec &spec, Layers &l, const std::string &input_ids,
                          const std::string &position_ids, qeff_dtype kv_dtype = QEFF_DTYPE_F32);

// A reader for hub::ArchitectureInfo::family, or nullptr.
using SpecReader = DecoderSpec (*)(const DecoderConfig &);
SpecReader find_decoder_family(const std::string &family);

}  // namespace qeff::models
