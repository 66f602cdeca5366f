#include "compiler/fold.hpp"

#include "common/error.hpp"
#include "compiler/aligned.hpp"
#include "kernels/parallel.hpp"

namespace qeff::compiler {

graph::WeightData aligned_weight(uint64_t bytes, uint8_t **data) {
  std::shared_ptr<uint8_t[]> block(make_aligned(bytes).release(), AlignedDelete());
  *data = block.get();
  return graph::WeightData::view(block.get(), bytes, std::shared_ptr<const void>(block, block.get()));
}

graph::WeightData aligned_copy(const void *src, uint64_t bytes) {
  uint8_t *p = nullptr;
  graph::WeightData w = aligned_weight(bytes, &p);
  if (bytes) std::memcpy(p, src, bytes);
  return w;
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

}  // namespace qeff::compiler
