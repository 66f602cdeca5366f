#include "graph/verify.hpp"

#include <set>
#include <unordered_set>

#include "common/error.hpp"

namespace qeff::graph {
namespace {

[[noreturn]] void broken(const Graph &g, const std::string &what) {
  fail(QEFF_E_FORMAT, "graph " + quote(g.name) + ": " + what);
}

void check_typed(const Graph &g, const ValueInfo &v, const char *kind) {
  if (v.name.empty()) broken(g, std::string("a ") + kind + " has an empty name");
  if (!v.type.known()) broken(g, std::string(kind) + " " + quote(v.name) + " has no element type");
  for (const auto &d : v.type.shape)
    if (!d.is_symbolic() && d.value < 0)
      broken(g, std::string(kind) + " " + quote(v.name) + " has a negative dimension in " +
                    to_string(v.type.shape));
}

}  // namespace

void verify(const Graph &g) {
  std::unordered_set<std::string> defined;
  auto define = [&](const std::string &name, const std::string &by) {
    if (name.empty()) broken(g, by + " defines a value with an empty name");
    if (!defined.insert(name).second)
      broken(g, "value " + quote(name) + " is defined twice (again by " + by + ")");
  };
  for (const auto &in : g.inputs) {
    check_typed(g, in, "input");
    define(in.name, "input " + quote(in.name));
  }
  for (const auto &init : g.initializers) {
    check_typed(g, {init.name, init.type}, "initializer");
    define(init.name, "initializer " + quote(init.name));
    auto n = numel(init.type.shape);
    if (!n) broken(g, "initializer " + quote(init.name) + " has a symbolic or overflowing shape " +
                          to_string(init.type.shape));
    auto bytes = byte_size(init.type.dtype, *n);
    if (!bytes || *bytes != init.data.size())
      broken(g, "initializer " + quote(init.name) + " of type " + to_string(init.type) + " holds " +
                    std::to_string(init.data.size()) + " bytes, expected " +
                    (bytes ? std::to_string(*bytes) : std::string("a whole number")));
    if (init.data.size() > 0 && init.data.data() == nullptr)
      broken(g, "initializer " + quote(init.name) + " has no data");
  }
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node &n = g.nodes[i];
    std::string who = "node " + std::to_string(i) + " " + quote(n.name) + " (" +
                      (n.domain.empty() ? "" : n.domain + ".") + n.op_type + ")";
    if (n.op_type.empty()) broken(g, "node " + std::to_string(i) + " " + quote(n.name) + " has no op type");
    for (const auto &in : n.inputs)
      if (!in.empty() && defined.count(in) == 0)
        broken(g, who + " reads " + quote(in) + ", which is not defined before it");
    if (n.outputs.empty()) broken(g, who + " has no outputs");
    std::set<std::string> attrs;
    for (const auto &a : n.attributes)
      if (a.name.empty() || !attrs.insert(a.name).second)
        broken(g, who + " has a duplicate or empty attribute name " + quote(a.name));
    for (const auto &out : n.outputs) define(out, who);
  }
  for (const auto &out : g.outputs) {
    check_typed(g, out, "output");
    if (defined.count(out.name) == 0) broken(g, "output " + quote(out.name) + " is never defined");
  }
  std::unordered_set<std::string> outputs_seen;
  for (const auto &out : g.outputs)
    if (!outputs_seen.insert(out.name).second) broken(g, "output " + quote(out.name) + " is listed twice");
  for (const auto &vi : g.value_info)
    if (defined.count(vi.name) == 0)
      broken(g, "value_info names " + quote(vi.name) + ", which is not defined");
  if (g.opsets.count("") == 0) broken(g, "no opset for the default (ONNX) domain");
}

}  // namespace qeff::graph
