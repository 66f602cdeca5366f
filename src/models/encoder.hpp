// Encoder families (BERT-like models for embeddings and reranking): what
// build.cpp needs from each family to assemble an embedding or
// sequence-classification graph. One file per family (bert.cpp, mpnet.cpp,
// distilbert.cpp, nomic_bert.cpp).
#pragma once

#include <string>

#include "common/json.hpp"
#include "hub/config.hpp"
#include "models/layers.hpp"

namespace qeff::models {

struct EncoderContext {
  const hub::ModelConfig &cfg;
  JsonView config;  // config.json (fields the typed ModelConfig does not hold)
  Layers &l;
  std::string input_ids, attention_mask;  // I64 [batch_size, seq_len]
  std::string token_type_ids;             // I64 [batch_size, seq_len], "" when the graph has none
  int64_t num_labels = 0;                 // sequence classification only

  int64_t hidden() const { return cfg.hidden_size; }
  int64_t heads() const { return cfg.num_attention_heads; }
  int64_t head_dim() const;  // hidden / heads (QEFF_E_CONFIG when not divisible)
  double eps(double fallback = 1e-12) const { return cfg.norm_eps.value_or(fallback); }
};

struct EncoderFamily {
  const char *name;  // hub::ArchitectureInfo::family
  // Token states [batch, seq, hidden] (the model's last_hidden_state).
  std::string (*body)(EncoderContext &ctx);
  // Logits [batch, num_labels] from the token states (the ForSequenceClassification head).
  std::string (*classifier)(EncoderContext &ctx, const std::string &hidden);
  // Whether a classification graph takes token_type_ids (sentence pairs).
  bool (*uses_token_types)(const EncoderContext &ctx);
  // The longest input the position embeddings allow (0: unbounded).
  int64_t (*max_seq_len)(const EncoderContext &ctx);
};

const EncoderFamily &bert_family();
const EncoderFamily &mpnet_family();
const EncoderFamily &distilbert_family();
const EncoderFamily &nomic_bert_family();

// A config.json string/number field for messages and checks.
[[noreturn]] void unsupported_config(const EncoderContext &ctx, const std::string &field, const std::string &value,
                                     const std::string &supported);

}  // namespace qeff::models
