#include "compiler/fold.hpp"

#include <string>

#include "common/error.hpp"
#include "compiler/aligned.hpp"
#include "compiler/fuse.hpp"
#include "kernels/parallel.hpp"

namespace qeff::compiler {

graph::WeightData adopt_aligned(AlignedPtr block, uint64_t bytes) {
  std::shared_ptr<uint8_t[]> owner(block.release(), AlignedDelete());
  return graph::WeightData::view(owner.get(), bytes, std::shared_ptr<const void>(owner, owner.get()));
}

graph::WeightData aligned_weight(uint64_t bytes, uint8_t **data) {
  AlignedPtr block = make_aligned(bytes);
  *data = block.get();
  return adopt_aligned(std::move(block), bytes);
}

std::vector<KnownValue> evaluate(const ops::OpDef &def, const graph::Node &node, int64_t opset,
                                 const std::vector<graph::TensorType> &inputs,
                                 const std::vector<const ops::TensorView *> &values,
                                 const std::vector<graph::TensorType> &outputs) {
  ops::PrepareContext pctx{node, opset, inputs, outputs, values};
  std::unique_ptr<ops::Kernel> kernel = def.prepare(pctx);
  if (!kernel) fail(QEFF_E_INTERNAL, ops::node_label(node) + ": prepare returned no kernel");
  std::vector<KnownValue> results(outputs.size());
  std::vector<void *> out_ptrs(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    auto bytes = graph::byte_size(outputs[i]);
    if (!bytes) fail(QEFF_E_LIMIT, ops::node_label(node) + ": output size overflows");
    uint8_t *p = nullptr;
    results[i].type = outputs[i];
    results[i].data = aligned_weight(*bytes, &p);
    out_ptrs[i] = p;
  }
  std::vector<const void *> in_ptrs(values.size());
  for (size_t i = 0; i < values.size(); ++i) in_ptrs[i] = values[i] ? values[i]->data : nullptr;
  AlignedPtr workspace = make_aligned(kernel->workspace_bytes());
  kernels::SerialParallel serial;
  ops::RunArgs args{in_ptrs.data(), out_ptrs.data(), workspace.get(), &serial};
  kernel->run(args);
  return results;
}

void fold_deferred(SpecializedGraph &g, FoldCache &cache) {
  if (g.deferred.empty()) return;
  std::vector<graph::Node> kept;
  for (graph::Node &node : g.nodes) {
    if (node.outputs.size() != 1 || !g.deferred.count(node.outputs[0])) {
      kept.push_back(std::move(node));
      continue;
    }
    const std::string &out = node.outputs[0];
    if (auto hit = cache.values.find(out); hit != cache.values.end()) {
      g.known[out] = hit->second;  // folded for an earlier specialization
    } else {
      const ops::OpDef *def = ops::find_op(node.domain, node.op_type);
      if (!def) fail(QEFF_E_INTERNAL, ops::node_label(node) + ": no kernel to fold it");
      std::vector<graph::TensorType> in_types;
      std::vector<ops::TensorView> views;
      views.reserve(node.inputs.size());
      std::vector<const ops::TensorView *> values;
      for (const auto &in : node.inputs) {
        const KnownValue &v = g.known.at(in);  // deferred nodes read weights only
        in_types.push_back(v.type);
        views.push_back(v.view());
        values.push_back(&views.back());
      }
      std::vector<KnownValue> results =
          evaluate(*def, node, g.node_opsets.at(opset_key(node)), in_types, values, {g.types.at(out)});
      results[0].spec_independent = true;
      cache.values[out] = results[0];
      g.known[out] = std::move(results[0]);
    }
    g.types.erase(out);
    g.node_opsets.erase(out);
  }
  g.nodes = std::move(kept);
  g.deferred.clear();
  remove_dead_nodes(g);  // drops the weights only the folded nodes read
}

}  // namespace qeff::compiler
