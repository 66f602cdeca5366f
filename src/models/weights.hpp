// Weights: a builder's access to the checkpoint of a ModelSource. Tensors are
// graph initializers that view the memory-mapped safetensors bytes (kept alive
// through the graph), checked against the shape the builder expects, and cast
// to F32 by a graph node when stored in another float type (the compiler folds
// the cast).
//
// Names are given without the model's prefix: body("embeddings.word_embeddings.weight")
// finds "bert.embeddings..." in a BertForSequenceClassification checkpoint;
// head("classifier.weight") is never prefixed.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "graph/builder.hpp"

namespace qeff::hub {
struct ModelSource;
struct TensorView;
}  // namespace qeff::hub

namespace qeff::models {

class Weights {
 public:
  // Resolves the prefix by where the architecture's embedding table lives.
  Weights(std::shared_ptr<const hub::ModelSource> source, graph::GraphBuilder &b);

  // The F32 value of body tensor `name` of shape `shape`. Throws
  // QEFF_E_MISMATCH naming the tensor (missing, wrong shape, not a float).
  std::string body(const std::string &name, const std::vector<int64_t> &shape);
  std::string head(const std::string &name, const std::vector<int64_t> &shape);
  bool has_body(const std::string &name) const;
  bool has_head(const std::string &name) const;
  // Shape of a body tensor, or nullopt.
  std::optional<std::vector<int64_t>> body_shape(const std::string &name) const;
  std::optional<std::vector<int64_t>> head_shape(const std::string &name) const;

  const std::string &prefix() const { return prefix_; }

  // A Linear `name` ([out, in]) that a pre-quantized int4 checkpoint stores
  // packed (hub/quantization.hpp): the initializers of its
  // qeff.Int4Dequantize inputs (U8 values [out, ceil(in / 2)], scales and U8
  // zero points [out, groups]) and the k per scale; nullopt for a float
  // Linear. Throws QEFF_E_MISMATCH / QEFF_E_UNSUPPORTED as read_int4_linear.
  struct Int4Inputs {
    std::string values, scales, zeros;
    int64_t group = 0;
  };
  std::optional<Int4Inputs> int4_linear(const std::string &name, int64_t out, int64_t in, bool head);

 private:
  std::string value(const std::string &full, const std::vector<int64_t> &shape);
  std::shared_ptr<const hub::ModelSource> source_;
  graph::GraphBuilder &b_;
  std::string prefix_;
  std::map<std::string, std::string> values_;  // checkpoint name -> F32 value
};

}  // namespace qeff::models
