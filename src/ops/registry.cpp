// One table of every op (ops/op.hpp), built once from the group tables.
#include <map>
#include <utility>

#include "common/error.hpp"
#include "ops/op.hpp"
#include "ops/tables.hpp"

namespace qeff::ops {
namespace {

struct Registry {
  std::vector<OpDef> defs;
  std::map<std::pair<std::string_view, std::string_view>, size_t> index;

  Registry() {
    for (auto table : {tables::generic, tables::linear, tables::nn})
      for (const OpDef &d : table()) defs.push_back(d);
    for (size_t i = 0; i < defs.size(); ++i)
      if (!index.emplace(std::pair{defs[i].domain, defs[i].op_type}, i).second)
        fail(QEFF_E_INTERNAL, "op registered twice: " + std::string(defs[i].domain) + "." +
                                  std::string(defs[i].op_type));
  }
};

const Registry &registry() {
  static const Registry r;
  return r;
}

}  // namespace

const OpDef *find_op(std::string_view domain, std::string_view op_type) {
  const Registry &r = registry();
  auto it = r.index.find({domain == "ai.onnx" ? std::string_view() : domain, op_type});
  return it == r.index.end() ? nullptr : &r.defs[it->second];
}

std::vector<const OpDef *> all_ops() {
  std::vector<const OpDef *> out;
  for (const OpDef &d : registry().defs) out.push_back(&d);
  return out;
}

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<int64_t> dims_of(const graph::TensorType &type) {
  std::vector<int64_t> d;
  for (const graph::Dim &x : type.shape) {
    if (x.is_symbolic()) fail(QEFF_E_INTERNAL, "dims_of: symbolic dimension " + x.symbol);
    d.push_back(x.value);
  }
  return d;
}

graph::TensorType make_type(qeff_dtype dtype, const std::vector<int64_t> &dims) {
  return {dtype, graph::fixed_shape(dims)};
}

std::string node_label(const graph::Node &node) {
  std::string op = node.domain.empty() ? node.op_type : node.domain + "." + node.op_type;
  return "node " + quote(node.name, 96) + " (" + op + ")";
}

}  // namespace qeff::ops
