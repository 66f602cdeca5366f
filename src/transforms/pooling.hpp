// The pooling head of an embedding model (docs/models.md): token states
// [batch, seq, hidden] and the attention mask [batch, seq] in, one vector per
// row out, optionally L2-normalized. Every mode is exact for any batch size
// and either padding side, and is written with the qeff pooling functions
// (ONNX local functions, so ONNX Runtime runs the exported graph) or
// standard ops.
#pragma once

#include <optional>
#include <string>

#include "graph/builder.hpp"

namespace qeff::transforms {

enum class Pooling {
  kNone,         // token states, [batch, seq, hidden] (the generation layer slices real lengths)
  kMean,         // masked mean (QEfficient "mean"; "avg" is accepted as its alias)
  kCls,          // the first token
  kMax,          // masked max
  kMeanSqrtLen,  // masked sum / sqrt(length) (sentence-transformers mean_sqrt_len_tokens)
  kLastToken,    // the last real token (decoder embedders)
};

const char *pooling_name(Pooling p);  // "none", "mean", "cls", "max", "mean_sqrt_len", "last_token"
// Parses a pooling name ("avg" = "mean"); nullopt for an unknown one.
std::optional<Pooling> parse_pooling(const std::string &name);
// "none, mean, avg, cls, max, mean_sqrt_len, last_token" for messages.
const char *pooling_names();

// Appends the head and returns the pooled value: F32 [batch, hidden]
// ([batch, seq, hidden] for kNone, where `normalize` normalizes each token).
// `mask` is the I64 attention mask input.
std::string add_pooling(graph::GraphBuilder &b, const std::string &hidden, const std::string &mask, Pooling pooling,
                        bool normalize);

}  // namespace qeff::transforms
