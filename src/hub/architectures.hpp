// The registry of HuggingFace architectures qeff knows: which family of graph
// builder serves each (config.architectures[0]), which task it performs, and
// where its weights live, so the loader can check config against weights.
#pragma once

#include <string>
#include <vector>

#include "qeff/qeff.h"

namespace qeff::hub {

struct ArchitectureInfo {
  const char *name;          // config.architectures[0], e.g. "LlamaForCausalLM"
  const char *family;        // builder family, e.g. "llama", "bert", "gpt2"
  qeff_task task;
  bool tie_default;          // tie_word_embeddings when config.json omits it
  // Weight layout: the embedding table ([vocab, hidden]) and the per-layer
  // prefix, each tried with every prefix in `prefixes` ("" first).
  const char *embedding;     // e.g. "model.embed_tokens.weight"
  const char *layer_prefix;  // e.g. "model.layers." followed by the layer index
  const char *lm_head;       // "lm_head.weight" for LMs, "" otherwise
  std::vector<std::string> prefixes;
};

// nullptr when the architecture is not supported.
const ArchitectureInfo *find_architecture(const std::string &name);
const std::vector<ArchitectureInfo> &architectures();
// "BertModel, LlamaForCausalLM, ..." for error messages.
std::string supported_architectures_text();

}  // namespace qeff::hub
