// The graph invariants of docs/graph.md, checked. Used after building, after
// every transform in tests, and on every imported ONNX graph.
#pragma once

#include "graph/ir.hpp"

namespace qeff::graph {

// Throws QEFF_E_FORMAT naming the graph, the node and the value at fault.
void verify(const Graph &graph);

}  // namespace qeff::graph
