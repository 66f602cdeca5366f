// Pass 1 of the compiler (docs/compiler.md): one specialization of a graph.
// Binds every symbolic dimension of the inputs, infers the concrete type of
// every value with the ops' infer functions, and folds every node whose inputs
// are all known at compile time (initializers, constants, shapes) by running
// its kernel, so only the nodes that depend on run-time inputs remain (and
// the transposes of weights the fuser packs directly: `deferred`).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "compiler/program.hpp"
#include "graph/ir.hpp"
#include "ops/op.hpp"

namespace qeff::compiler {

// A compile-time value: its type and bytes.
struct KnownValue {
  graph::TensorType type;
  graph::WeightData data;
  bool spec_independent = false;  // the same for every specialization (weights and what folds from them)
  ops::TensorView view() const;
};

// Folded results that do not depend on the specialization, shared by all of
// them (a Transpose of a weight is computed once, not once per specialization).
struct FoldCache {
  std::map<std::string, KnownValue> values;  // by value name
  struct Packed {
    KnownValue value;  // U8 [bytes]
    std::string format;
    int64_t k = 0, n = 0;
  };
  std::map<std::string, Packed> packed;  // packed weights by "<weight>|<transposed>|<dtype>"
};

struct SpecializedGraph {
  Specialization spec;
  std::vector<graph::Node> nodes;                   // the nodes left to run, in order
  // The opset of each node's domain, by the node's first output (value names
  // are unique; node names need not be).
  std::map<std::string, int64_t> node_opsets;
  std::map<std::string, graph::TensorType> types;  // every value that remains, fixed
  std::map<std::string, KnownValue> known;         // compile-time values used by `nodes` or outputs
  std::vector<std::string> inputs;                 // graph input names (retained-state inputs included)
  std::vector<std::string> outputs;                // graph output names
  // Outputs of Transpose(W) nodes left unfolded for the fuser (a 2-D f32
  // weight, perm [1, 0], read only as MatMul's B): it packs W itself
  // (transposed) instead of a materialized copy; fold_deferred folds what the
  // fuser left.
  std::set<std::string> deferred;
};

// Largest folded result kept as a constant when it is larger than the
// constants it comes from (e.g. a causal mask expanded to [1, 1, ctx, ctx]
// stays a run-time node instead of bloating the package).
inline constexpr uint64_t kMaxFoldGrowthBytes = 1 << 20;
// Largest size a specialization may bind to a symbol.
inline constexpr int64_t kMaxSymbolValue = int64_t{1} << 31;

// Throws qeff::Error: QEFF_E_INVALID_ARGUMENT for a specialization that leaves
// a symbol unbound or binds one no input uses, or binds a non-positive size;
// QEFF_E_MISMATCH when an inferred output type contradicts the declared one;
// the ops' errors (naming the node) otherwise.
SpecializedGraph specialize(const graph::Graph &graph, const Specialization &spec, FoldCache &cache);

// Whether `node` is an ONNX Transpose of one input whose perm attribute is
// exactly `perm` (the fuser's patterns and specialize's deferred weights).
bool is_transpose(const graph::Node &node, const std::vector<int64_t> &perm);

// The opset of `domain` in `graph` ("" -> default domain; 1 when absent).
int64_t opset_of(const graph::Graph &graph, const std::string &domain);
// The key of node_opsets for `node`.
inline const std::string &opset_key(const graph::Node &node) {
  static const std::string none;
  return node.outputs.empty() ? none : node.outputs[0];
}

}  // namespace qeff::compiler
