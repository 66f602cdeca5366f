#include "graph/builder.hpp"

#include <cstring>

#include "common/error.hpp"
#include "graph/verify.hpp"

namespace qeff::graph {

GraphBuilder::GraphBuilder(std::string name) { g_.name = std::move(name); }

void GraphBuilder::claim(const std::string &name) {
  if (name.empty()) fail(QEFF_E_INVALID_ARGUMENT, "graph " + quote(g_.name) + ": empty value name");
  if (!names_.insert(name).second)
    fail(QEFF_E_INVALID_ARGUMENT, "graph " + quote(g_.name) + ": value " + quote(name) + " is already defined");
}

std::string GraphBuilder::fresh(const std::string &hint) {
  std::string base = scope_.empty() ? hint : scope_ + "/" + hint;
  std::string name = base;
  while (names_.count(name) != 0) name = base + "_" + std::to_string(++counter_);
  names_.insert(name);
  return name;
}

std::string GraphBuilder::input(const std::string &name, TensorType type) {
  claim(name);
  g_.inputs.push_back({name, std::move(type)});
  return name;
}

std::string GraphBuilder::initializer(const std::string &name, TensorType type, WeightData data) {
  claim(name);
  g_.initializers.push_back({name, std::move(type), std::move(data)});
  return name;
}

namespace {

template <typename T>
std::vector<uint8_t> to_bytes(const std::vector<T> &values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

}  // namespace

std::string GraphBuilder::constant_i64(const std::string &hint, const std::vector<int64_t> &values,
                                       std::optional<Shape> shape) {
  std::string name = fresh(hint);
  Shape s = shape.value_or(fixed_shape({static_cast<int64_t>(values.size())}));
  g_.initializers.push_back({name, {QEFF_DTYPE_I64, s}, WeightData::owned(to_bytes(values))});
  return name;
}

std::string GraphBuilder::constant_f32(const std::string &hint, const std::vector<float> &values,
                                       std::optional<Shape> shape) {
  std::string name = fresh(hint);
  Shape s = shape.value_or(fixed_shape({static_cast<int64_t>(values.size())}));
  g_.initializers.push_back({name, {QEFF_DTYPE_F32, s}, WeightData::owned(to_bytes(values))});
  return name;
}

std::vector<std::string> GraphBuilder::op_n(const std::string &op_type,
                                            const std::vector<std::string> &inputs, size_t num_outputs,
                                            std::vector<Attribute> attributes,
                                            const std::string &domain) {
  Node n;
  n.op_type = op_type;
  n.domain = domain;
  n.name = fresh(op_type);
  n.inputs = inputs;
  for (size_t i = 0; i < num_outputs; ++i)
    n.outputs.push_back(fresh(op_type + (num_outputs > 1 ? "_out" + std::to_string(i) : "_out")));
  n.attributes = std::move(attributes);
  std::vector<std::string> outs = n.outputs;
  g_.nodes.push_back(std::move(n));
  return outs;
}

std::string GraphBuilder::op(const std::string &op_type, const std::vector<std::string> &inputs,
                             std::vector<Attribute> attributes, std::optional<TensorType> type,
                             const std::string &domain) {
  std::string out = op_n(op_type, inputs, 1, std::move(attributes), domain).front();
  if (type) g_.value_info.push_back({out, std::move(*type)});
  return out;
}

void GraphBuilder::output(const std::string &value, TensorType type, const std::string &name) {
  std::string out = value;
  if (!name.empty() && name != value) {
    claim(name);
    Node n;
    n.op_type = "Identity";
    n.name = fresh("Identity");
    n.inputs = {value};
    n.outputs = {name};
    g_.nodes.push_back(std::move(n));
    out = name;
  }
  g_.outputs.push_back({out, std::move(type)});
}

void GraphBuilder::set_metadata(const std::string &key, const std::string &value) {
  g_.metadata[key] = value;
}

void GraphBuilder::set_opset(const std::string &domain, int64_t version) { g_.opsets[domain] = version; }

Graph GraphBuilder::finish() && {
  verify(g_);
  return std::move(g_);
}

}  // namespace qeff::graph
