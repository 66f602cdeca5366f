// GraphBuilder: build a Graph ergonomically. Values are referred to by name;
// names are made unique automatically (a hint is kept when it is free).
//
//   GraphBuilder b("mlp");
//   auto x = b.input("x", {QEFF_DTYPE_F32, {Dim::sym("batch"), Dim::fixed(64)}});
//   auto w = b.initializer("fc.weight", {QEFF_DTYPE_F32, fixed_shape({64, 64})}, data);
//   auto y = b.op("Gelu", {b.op("MatMul", {x, w})});
//   b.output(y, {QEFF_DTYPE_F32, {Dim::sym("batch"), Dim::fixed(64)}}, "output");
//   Graph g = std::move(b).finish();  // verified
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "graph/ir.hpp"

namespace qeff::graph {

class GraphBuilder {
 public:
  explicit GraphBuilder(std::string name);

  std::string input(const std::string &name, TensorType type);
  std::string initializer(const std::string &name, TensorType type, WeightData data);
  // Small constants owned by the graph (shapes, axes, scalars).
  std::string constant_i64(const std::string &hint, const std::vector<int64_t> &values,
                           std::optional<Shape> shape = std::nullopt);
  std::string constant_f32(const std::string &hint, const std::vector<float> &values,
                           std::optional<Shape> shape = std::nullopt);

  // A node with one output; returns the output's name. `type`, when given, is
  // recorded in value_info.
  std::string op(const std::string &op_type, const std::vector<std::string> &inputs,
                 std::vector<Attribute> attributes = {}, std::optional<TensorType> type = std::nullopt,
                 const std::string &domain = "");
  // A node with `num_outputs` outputs.
  std::vector<std::string> op_n(const std::string &op_type, const std::vector<std::string> &inputs,
                                size_t num_outputs, std::vector<Attribute> attributes = {},
                                const std::string &domain = "");

  // Marks `value` as a graph output of `type`. With `name`, the output is given
  // that exact name (through an Identity node when `value` is named otherwise).
  void output(const std::string &value, TensorType type, const std::string &name = "");

  void set_metadata(const std::string &key, const std::string &value);
  void set_opset(const std::string &domain, int64_t version);
  // Prefix for generated node and value names, e.g. "layers.0".
  void set_scope(const std::string &scope) { scope_ = scope; }

  // Verifies and returns the graph (QEFF_E_FORMAT on a broken invariant).
  Graph finish() &&;

 private:
  std::string fresh(const std::string &hint);
  void claim(const std::string &name);
  Graph g_;
  std::set<std::string> names_;
  std::string scope_;
  size_t counter_ = 0;
};

}  // namespace qeff::graph
