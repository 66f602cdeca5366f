// The op tables the registry (ops/registry.cpp) joins; one per group of ops,
// each defined in the files of its group.
#pragma once

#include <vector>

#include "ops/op.hpp"

namespace qeff::ops::tables {

std::vector<OpDef> generic();  // ops/generic_*.cpp: elementwise, shape, reduction, indexing, ... ONNX ops
std::vector<OpDef> linear();   // ops/linear.cpp: MatMul, Gemm, qeff.cpu.PackedMatMul
std::vector<OpDef> nn();       // ops/nn.cpp: Softmax, LogSoftmax, LayerNormalization, qeff fused ops

}  // namespace qeff::ops::tables
