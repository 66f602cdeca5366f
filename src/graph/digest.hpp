// The content digest of a graph: XXH3-128 over everything that defines it
// (signature, nodes with attributes, initializer bytes, metadata, opsets), so
// two graphs digest alike exactly when they compute the same thing the same
// way. It keys the compile cache for graphs built in memory (qeff_compile).
#pragma once

#include <string>

#include "graph/ir.hpp"

namespace qeff {
class Digest;
}

namespace qeff::graph {

// Feeds the graph into `d` (callers may add more, e.g. side files).
void digest_graph(const Graph &g, Digest &d);

}  // namespace qeff::graph
