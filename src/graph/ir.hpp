// The typed graph IR (see docs/graph.md): values named as in ONNX, nodes in
// topological order, initializers that view weights without copying them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "qeff/qeff.h"

namespace qeff::graph {

// A dimension: a fixed size, or a symbol bound later by a specialization.
struct Dim {
  int64_t value = 0;
  std::string symbol;  // non-empty for a symbolic dimension

  static Dim fixed(int64_t v) { return Dim{v, {}}; }
  static Dim sym(std::string name) { return Dim{-1, std::move(name)}; }
  bool is_symbolic() const { return !symbol.empty(); }
  bool operator==(const Dim &o) const { return value == o.value && symbol == o.symbol; }
  bool operator!=(const Dim &o) const { return !(*this == o); }
};

using Shape = std::vector<Dim>;

// Shape of fixed sizes, e.g. fixed_shape({64, 32}).
Shape fixed_shape(const std::vector<int64_t> &dims);
bool is_fixed(const Shape &shape);
// Number of elements of a fixed shape; nullopt if symbolic or overflowing.
std::optional<uint64_t> numel(const Shape &shape);
std::string to_string(const Shape &shape);  // "[batch, 64]"

struct TensorType {
  qeff_dtype dtype = QEFF_DTYPE_UNKNOWN;
  Shape shape;
  bool known() const { return dtype != QEFF_DTYPE_UNKNOWN; }
  bool operator==(const TensorType &o) const { return dtype == o.dtype && shape == o.shape; }
};

std::string to_string(const TensorType &type);  // "F32[batch, 64]"

// Bytes of an initializer: a view of memory owned elsewhere (kept alive by
// `owner`), or bytes owned here. A view may remember where its bytes live in a
// file so that export can reference them instead of writing a copy.
class WeightData {
 public:
  WeightData() = default;
  static WeightData view(const uint8_t *data, uint64_t nbytes, std::shared_ptr<const void> owner,
                         std::string file = {}, uint64_t file_offset = 0);
  static WeightData owned(std::vector<uint8_t> bytes);

  const uint8_t *data() const { return data_; }
  uint64_t size() const { return size_; }
  bool is_view() const { return !bytes_; }
  const std::string &file() const { return file_; }  // "" when not file-backed
  uint64_t file_offset() const { return file_offset_; }

 private:
  const uint8_t *data_ = nullptr;
  uint64_t size_ = 0;
  std::shared_ptr<const void> owner_;
  std::shared_ptr<const std::vector<uint8_t>> bytes_;
  std::string file_;
  uint64_t file_offset_ = 0;
};

struct Initializer {
  std::string name;
  TensorType type;
  WeightData data;
};

// A small constant tensor held by an attribute (ONNX TENSOR attributes).
struct ConstTensor {
  TensorType type;
  std::vector<uint8_t> bytes;
  bool operator==(const ConstTensor &o) const { return type == o.type && bytes == o.bytes; }
};

using AttributeValue = std::variant<int64_t, double, std::string, std::vector<int64_t>,
                                    std::vector<double>, std::vector<std::string>, ConstTensor>;

struct Attribute {
  std::string name;
  AttributeValue value;
};

struct Node {
  std::string op_type;
  std::string domain;  // "" (ONNX) or "qeff"
  std::string name;
  std::vector<std::string> inputs;  // "" = omitted optional input
  std::vector<std::string> outputs;
  std::vector<Attribute> attributes;

  const Attribute *attribute(const std::string &attr_name) const;
};

struct ValueInfo {
  std::string name;
  TensorType type;
};

struct Graph {
  std::string name;
  std::vector<ValueInfo> inputs;
  std::vector<ValueInfo> outputs;
  std::vector<Initializer> initializers;
  std::vector<Node> nodes;                    // topological order
  std::vector<ValueInfo> value_info;          // types of intermediate values
  std::map<std::string, std::string> metadata;
  std::map<std::string, int64_t> opsets = {{"", 17}};

  const Initializer *initializer(const std::string &value_name) const;
  // The known type of any value (input, output, initializer, value_info), or nullptr.
  const TensorType *type_of(const std::string &value_name) const;
};

// Bytes of `count` elements of `dtype` (sub-byte types packed); nullopt when the
// dtype is unknown, the count overflows or is not a whole number of bytes.
std::optional<uint64_t> byte_size(qeff_dtype dtype, uint64_t count);
// Bytes of a tensor of `type`; nullopt when a dimension is symbolic or
// negative, the dtype unknown, or the size overflows.
std::optional<uint64_t> byte_size(const TensorType &type);

}  // namespace qeff::graph
