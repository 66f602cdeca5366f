#include "compiler/specialize.hpp"

#include <algorithm>
#include <cstring>
#include <set>
#include <utility>
#include <variant>

#include "common/cancel.hpp"
#include "common/error.hpp"
#include "compiler/aligned.hpp"
#include "compiler/fold.hpp"

namespace qeff::compiler {
namespace {

using graph::Dim;
using graph::Node;
using graph::TensorType;

std::string spec_label(const Specialization &spec) { return "specialization " + quote(spec.name, 64); }

// The input's type with every symbol replaced by the specialization's size.
TensorType bind_symbols(const TensorType &type, const Specialization &spec, const std::string &what) {
  TensorType out = type;
  for (size_t i = 0; i < out.shape.size(); ++i) {
    Dim &d = out.shape[i];
    if (!d.is_symbolic()) continue;
    auto it = spec.symbols.find(d.symbol);
    if (it == spec.symbols.end())
      fail(QEFF_E_INVALID_ARGUMENT, spec_label(spec) + " does not bind symbol " + quote(d.symbol, 64) + " (" + what +
                                        ", dimension " + std::to_string(i) + ")");
    d = Dim::fixed(it->second);
  }
  return out;
}

void check_symbols(const graph::Graph &g, const Specialization &spec) {
  std::set<std::string> used;
  for (const auto &in : g.inputs)
    for (const Dim &d : in.type.shape)
      if (d.is_symbolic()) used.insert(d.symbol);
  std::string list;
  for (const auto &s : used) list += (list.empty() ? "" : ", ") + s;
  for (const auto &[name, value] : spec.symbols) {
    if (!used.count(name))
      fail(QEFF_E_INVALID_ARGUMENT, spec_label(spec) + " binds symbol " + quote(name, 64) +
                                        ", which no graph input uses (inputs use: " + (list.empty() ? "none" : list) +
                                        ")");
    if (value <= 0 || value > kMaxSymbolValue)
      fail(QEFF_E_INVALID_ARGUMENT, spec_label(spec) + " binds " + quote(name, 64) + " to " + std::to_string(value) +
                                        "; sizes must be in [1, " + std::to_string(kMaxSymbolValue) + "]");
  }
}

}  // namespace

ops::TensorView KnownValue::view() const { return {type.dtype, ops::dims_of(type), data.data()}; }

bool is_transpose(const graph::Node &node, const std::vector<int64_t> &perm) {
  if (!node.domain.empty() || node.op_type != "Transpose" || node.inputs.size() != 1) return false;
  const graph::Attribute *a = node.attribute("perm");
  return a && std::holds_alternative<std::vector<int64_t>>(a->value) &&
         std::get<std::vector<int64_t>>(a->value) == perm;
}

int64_t opset_of(const graph::Graph &graph, const std::string &domain) {
  auto it = graph.opsets.find(domain);
  return it == graph.opsets.end() ? 1 : it->second;
}

SpecializedGraph specialize(const graph::Graph &g, const Specialization &spec, FoldCache &cache) {
  check_symbols(g, spec);
  SpecializedGraph out;
  out.spec = spec;
  std::map<std::string, KnownValue> consts;
  for (const auto &init : g.initializers) consts[init.name] = KnownValue{init.type, init.data, true};
  for (const auto &in : g.inputs) {
    out.types[in.name] = bind_symbols(in.type, spec, "input " + quote(in.name, 96));
    out.inputs.push_back(in.name);
  }
  auto type_of = [&](const std::string &name) -> TensorType {
    if (auto it = consts.find(name); it != consts.end()) return it->second.type;
    if (auto it = out.types.find(name); it != out.types.end()) return it->second;
    fail(QEFF_E_INTERNAL, "value " + quote(name) + " has no type");
  };

  // Readers of each value: (node, input slot).
  std::map<std::string, std::vector<std::pair<const Node *, size_t>>> readers;
  for (const Node &node : g.nodes)
    for (size_t i = 0; i < node.inputs.size(); ++i)
      if (!node.inputs[i].empty()) readers[node.inputs[i]].push_back({&node, i});
  std::set<std::string> graph_outputs;
  for (const auto &o : g.outputs) graph_outputs.insert(o.name);
  // Transpose(W), perm [1, 0], W a 2-D f32 weight, read only as the B of
  // MatMuls whose A is not known yet: left for the fuser, which packs W
  // directly (a materialized transpose of every Linear weight doubled the
  // compile's memory). fold_deferred folds any it leaves.
  auto defer_transpose = [&](const Node &node) {
    if (!is_transpose(node, {1, 0}) || node.outputs.size() != 1) return false;
    auto w = consts.find(node.inputs[0]);
    if (w == consts.end() || !w->second.spec_independent || w->second.type.dtype != QEFF_DTYPE_F32 ||
        w->second.type.shape.size() != 2 || graph_outputs.count(node.outputs[0]))
      return false;
    auto r = readers.find(node.outputs[0]);
    if (r == readers.end()) return false;
    for (const auto &[reader, slot] : r->second)
      if (!reader->domain.empty() || reader->op_type != "MatMul" || slot != 1 || reader->inputs.size() != 2 ||
          consts.count(reader->inputs[0]))
        return false;
    return true;
  };

  for (const Node &node : g.nodes) {
    cancellation_point("folding constants");
    const int64_t opset = opset_of(g, node.domain);
    const ops::OpDef *def = ops::find_op(node.domain, node.op_type);
    if (!def) fail(QEFF_E_UNSUPPORTED, ops::node_label(node) + ": no CPU kernel for this op");

    std::vector<TensorType> in_types;
    std::vector<ops::TensorView> views(node.inputs.size());
    std::vector<const ops::TensorView *> values(node.inputs.size(), nullptr);
    // An op that reads only its inputs' types folds whatever the inputs are;
    // its result then depends on the specialization's shapes.
    const bool type_only = (def->flags & ops::kTypeOnly) != 0;
    bool all_known = true, independent = true;
    uint64_t known_bytes = 0;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const std::string &name = node.inputs[i];
      if (name.empty()) {
        in_types.push_back({});
        continue;
      }
      in_types.push_back(type_of(name));
      if (auto it = consts.find(name); it != consts.end()) {
        views[i] = it->second.view();
        values[i] = &views[i];
        independent = independent && it->second.spec_independent;
        known_bytes += it->second.data.size();
      } else {
        all_known = all_known && type_only;
        independent = false;
      }
    }
    // Kept as a node (below) for the fuser, never taken from the cache.
    const bool deferred = all_known && defer_transpose(node);
    // A fold of weights only, done for an earlier specialization.
    if (!deferred && all_known && independent && !node.outputs.empty() && cache.values.count(node.outputs[0])) {
      for (const auto &o : node.outputs) consts[o] = cache.values.at(o);
      continue;
    }

    ops::InferContext ictx{node, opset, in_types, values};
    std::vector<TensorType> out_types = def->infer(ictx);
    if (out_types.size() < node.outputs.size())
      fail(QEFF_E_FORMAT, ops::node_label(node) + " has " + std::to_string(node.outputs.size()) +
                              " outputs; the op produces at most " + std::to_string(out_types.size()));
    out_types.resize(node.outputs.size());

    uint64_t out_bytes = 0;
    for (const auto &t : out_types) {
      auto b = graph::byte_size(t);
      if (!b) fail(QEFF_E_LIMIT, ops::node_label(node) + ": output of type " + graph::to_string(t) + " is too large");
      out_bytes += *b;
    }
    bool fold = all_known && !deferred && !node.outputs.empty() && (def->flags & ops::kFuseFirst) == 0 &&
                (out_bytes <= kMaxFoldGrowthBytes || out_bytes <= known_bytes);
    if (!fold) {
      for (size_t i = 0; i < node.outputs.size(); ++i) out.types[node.outputs[i]] = out_types[i];
      out.node_opsets[opset_key(node)] = opset;
      out.nodes.push_back(node);
      if (deferred) out.deferred.insert(node.outputs[0]);
      continue;
    }
    if (def->flags & ops::kView) {  // the input's bytes under the new shape
      const KnownValue &src = consts.at(node.inputs.at(0));
      consts[node.outputs[0]] = KnownValue{out_types[0], src.data, independent};
    } else {
      std::vector<KnownValue> results = evaluate(*def, node, opset, in_types, values, out_types);
      for (size_t i = 0; i < node.outputs.size(); ++i) {
        results[i].spec_independent = independent;
        consts[node.outputs[i]] = std::move(results[i]);
      }
    }
    if (independent)
      for (const auto &o : node.outputs) cache.values[o] = consts.at(o);
  }

  for (const auto &o : g.outputs) {
    TensorType declared = o.type;
    TensorType got = type_of(o.name);
    bool ok = !declared.known() || declared.dtype == got.dtype;
    if (ok && !declared.shape.empty()) {
      ok = declared.shape.size() == got.shape.size();
      for (size_t i = 0; ok && i < declared.shape.size(); ++i) {
        const Dim &d = declared.shape[i];
        if (!d.is_symbolic()) ok = d.value == got.shape[i].value;
        else if (auto it = spec.symbols.find(d.symbol); it != spec.symbols.end()) ok = it->second == got.shape[i].value;
      }
    }
    if (!ok)
      fail(QEFF_E_MISMATCH, spec_label(spec) + ": output " + quote(o.name, 96) + " is declared " +
                                graph::to_string(declared) + " but computes " + graph::to_string(got));
    out.outputs.push_back(o.name);
  }

  // Keep the compile-time values the remaining nodes or the outputs read.
  std::set<std::string> used(out.outputs.begin(), out.outputs.end());
  for (const Node &n : out.nodes) used.insert(n.inputs.begin(), n.inputs.end());
  for (auto &[name, value] : consts)
    if (used.count(name)) out.known.emplace(name, std::move(value));
  return out;
}

}  // namespace qeff::compiler
