#include "graph/digest.hpp"

#include <cstring>
#include <type_traits>

#include "common/cancel.hpp"
#include "common/digest.hpp"

namespace qeff::graph {
namespace {

template <class T>
void scalar(Digest &d, T v) {
  static_assert(std::is_arithmetic_v<T>);
  d.update(&v, sizeof v);
}

void type(Digest &d, const TensorType &t) {
  scalar(d, static_cast<int32_t>(t.dtype));
  scalar(d, static_cast<uint64_t>(t.shape.size()));
  for (const Dim &dim : t.shape) {
    scalar(d, dim.value);
    d.update_field(dim.symbol);
  }
}

void values(Digest &d, const std::vector<ValueInfo> &v) {
  scalar(d, static_cast<uint64_t>(v.size()));
  for (const ValueInfo &i : v) {
    d.update_field(i.name);
    type(d, i.type);
  }
}

void attribute(Digest &d, const Attribute &a) {
  d.update_field(a.name);
  scalar(d, static_cast<uint64_t>(a.value.index()));
  std::visit(
      [&](const auto &v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, int64_t> || std::is_same_v<V, double>) {
          scalar(d, v);
        } else if constexpr (std::is_same_v<V, std::string>) {
          d.update_field(v);
        } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
          scalar(d, static_cast<uint64_t>(v.size()));
          for (const auto &s : v) d.update_field(s);
        } else if constexpr (std::is_same_v<V, ConstTensor>) {
          type(d, v.type);
          d.update_field({reinterpret_cast<const char *>(v.bytes.data()), v.bytes.size()});
        } else {  // vectors of numbers
          scalar(d, static_cast<uint64_t>(v.size()));
          d.update(v.data(), v.size() * sizeof(v[0]));
        }
      },
      a.value);
}

}  // namespace

void digest_graph(const Graph &g, Digest &d) {
  d.update_field("qeff.graph.v1");
  d.update_field(g.name);
  values(d, g.inputs);
  values(d, g.outputs);
  values(d, g.value_info);
  scalar(d, static_cast<uint64_t>(g.nodes.size()));
  for (const Node &n : g.nodes) {
    d.update_field(n.op_type);
    d.update_field(n.domain);
    d.update_field(n.name);
    for (const auto *list : {&n.inputs, &n.outputs}) {
      scalar(d, static_cast<uint64_t>(list->size()));
      for (const auto &s : *list) d.update_field(s);
    }
    scalar(d, static_cast<uint64_t>(n.attributes.size()));
    for (const Attribute &a : n.attributes) attribute(d, a);
  }
  scalar(d, static_cast<uint64_t>(g.initializers.size()));
  for (const Initializer &i : g.initializers) {
    cancellation_point("computing the cache key");
    d.update_field(i.name);
    type(d, i.type);
    scalar(d, i.data.size());
    d.update(i.data.data(), static_cast<size_t>(i.data.size()));
  }
  scalar(d, static_cast<uint64_t>(g.metadata.size()));
  for (const auto &[k, v] : g.metadata) {
    d.update_field(k);
    d.update_field(v);
  }
  scalar(d, static_cast<uint64_t>(g.opsets.size()));
  for (const auto &[k, v] : g.opsets) {
    d.update_field(k);
    scalar(d, v);
  }
}

}  // namespace qeff::graph
