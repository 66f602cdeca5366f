#include "graph/ir.hpp"

#include "common/checked.hpp"
#include "common/dtype.hpp"

namespace qeff::graph {

Shape fixed_shape(const std::vector<int64_t> &dims) {
  Shape s;
  s.reserve(dims.size());
  for (int64_t d : dims) s.push_back(Dim::fixed(d));
  return s;
}

bool is_fixed(const Shape &shape) {
  for (const auto &d : shape)
    if (d.is_symbolic()) return false;
  return true;
}

std::optional<uint64_t> numel(const Shape &shape) {
  uint64_t n = 1;
  for (const auto &d : shape) {
    if (d.is_symbolic() || d.value < 0) return std::nullopt;
    auto m = checked_mul<uint64_t>(n, static_cast<uint64_t>(d.value));
    if (!m) return std::nullopt;
    n = *m;
  }
  return n;
}

std::string to_string(const Shape &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + (shape[i].is_symbolic() ? shape[i].symbol : std::to_string(shape[i].value));
  return s + "]";
}

std::string to_string(const TensorType &type) {
  return std::string(dtype_name(type.dtype)) + to_string(type.shape);
}

WeightData WeightData::view(const uint8_t *data, uint64_t nbytes, std::shared_ptr<const void> owner,
                            std::string file, uint64_t file_offset) {
  WeightData w;
  w.data_ = data;
  w.size_ = nbytes;
  w.owner_ = std::move(owner);
  w.file_ = std::move(file);
  w.file_offset_ = file_offset;
  return w;
}

WeightData WeightData::owned(std::vector<uint8_t> bytes) {
  WeightData w;
  w.bytes_ = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
  w.data_ = w.bytes_->data();
  w.size_ = w.bytes_->size();
  return w;
}

const Attribute *Node::attribute(const std::string &attr_name) const {
  for (const auto &a : attributes)
    if (a.name == attr_name) return &a;
  return nullptr;
}

const Initializer *Graph::initializer(const std::string &value_name) const {
  for (const auto &i : initializers)
    if (i.name == value_name) return &i;
  return nullptr;
}

const TensorType *Graph::type_of(const std::string &value_name) const {
  for (const auto *list : {&inputs, &outputs, &value_info})
    for (const auto &v : *list)
      if (v.name == value_name) return &v.type;
  if (const Initializer *i = initializer(value_name)) return &i->type;
  return nullptr;
}

std::optional<uint64_t> byte_size(const TensorType &type) {
  auto n = numel(type.shape);
  return n ? byte_size(type.dtype, *n) : std::nullopt;
}

std::optional<uint64_t> byte_size(qeff_dtype dtype, uint64_t count) {
  unsigned bits = dtype_bits(dtype);
  if (bits == 0) return std::nullopt;
  auto b = checked_mul<uint64_t>(count, bits);
  if (!b || *b % 8 != 0) return std::nullopt;
  return *b / 8;
}

}  // namespace qeff::graph
