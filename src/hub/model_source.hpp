// ModelSource: everything the hub layer reads from one HuggingFace model
// directory, validated and cross-checked. This is what the models layer builds a
// graph from. Immutable after load.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/files.hpp"
#include "common/json.hpp"
#include "common/options.hpp"
#include "hub/checkpoint.hpp"
#include "hub/config.hpp"
#include "hub/generation_config.hpp"
#include "hub/limits.hpp"
#include "hub/quantization.hpp"
#include "hub/sentence_transformers.hpp"
#include "hub/tokenizer_config.hpp"

namespace qeff::hub {

struct ModelSource {
  FileRoot root{"/"};
  JsonDocument config_json;  // config.json as read (unknown fields included)
  ModelConfig config;
  Checkpoint weights;
  std::optional<GenerationConfig> generation;
  std::optional<TokenizerConfig> tokenizer_config;
  bool has_tokenizer_json = false;
  std::optional<SentenceTransformersConfig> sentence_transformers;
  // config.json's quantization_config (a pre-quantized int4 checkpoint).
  std::optional<QuantizationConfig> quantization;
  // The dtype holding most elements (U4 for the packed values of an int4
  // checkpoint, 8 per I32 word).
  qeff_dtype weight_dtype = QEFF_DTYPE_UNKNOWN;

  // Loads `path` (a model directory, an HF cache snapshot, or an HF cache entry
  // resolved through refs/main). See qeff_model_load for the status codes.
  static std::unique_ptr<ModelSource> load(const std::string &path, const Options &options);

 private:
  explicit ModelSource(JsonDocument config_doc) : config_json(std::move(config_doc)) {}
};

// Resolves `path` to the canonical model directory and the roots its symlinks
// may point into (the HF cache entry for a snapshot).
FileRoot open_model_root(const std::string &path, const std::string &extra_root);

// Checks the config against the weights (embedding shape, layer count, LM head
// and tying). Throws QEFF_E_MISMATCH naming the tensor, expected and actual.
void check_config_against_weights(const ModelConfig &config, const Checkpoint &weights,
                                  const std::string &dir);

// Fails with QEFF_E_NUMERIC naming the first tensor with a NaN or Inf value.
void check_tensors_finite(const Checkpoint &weights);

}  // namespace qeff::hub
