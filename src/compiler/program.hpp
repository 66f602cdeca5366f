// A compiled program (see docs/compiler.md): for each specialization, a plan of
// kernel steps over fixed shapes with every value placed (graph input, session
// state, constant, or an offset in the specialization's arena), plus the
// constants (packed weights) shared by all plans. A Program is immutable once
// built: the runtime shares it between sessions and threads. It is what a
// program package stores (compiler/package.hpp) and what the runtime executes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "graph/ir.hpp"

namespace qeff::compiler {

// Named symbol bindings, e.g. Prefill {batch_size: 1, seq_len: 32, ctx_len: 128}.
struct Specialization {
  std::string name;
  std::map<std::string, int64_t> symbols;
  bool operator==(const Specialization &o) const { return name == o.name && symbols == o.symbols; }
};

// Where a value's bytes live during a run.
enum class Placement : uint8_t {
  input,     // a graph input the caller supplies (index: position in Program::inputs)
  state,     // retained state kept by the session (index: position in Program::retained)
  constant,  // Program::constants[index]
  arena,     // the plan's arena at `offset`
  alias,     // the same bytes as value `index` (views: Reshape, Squeeze, in-place ops)
};

const char *placement_name(Placement p);

struct PlannedValue {
  std::string name;
  graph::TensorType type;  // fixed shape
  Placement placement = Placement::arena;
  int32_t index = -1;
  uint64_t offset = 0;
};

struct Step {
  graph::Node node;              // op, domain, name, attributes; inputs/outputs hold value names
  int64_t opset = 17;            // version of the node's domain
  std::vector<int32_t> inputs;   // value ids; -1 for an omitted optional input
  std::vector<int32_t> outputs;  // value ids
  uint64_t workspace_offset = 0;
  uint64_t workspace_bytes = 0;
};

struct Plan {
  Specialization spec;
  std::vector<PlannedValue> values;
  std::vector<Step> steps;
  std::vector<int32_t> inputs;   // value id of each Program::inputs entry (-1 when this plan does not read it)
  std::vector<int32_t> outputs;  // value id of each Program::outputs entry
  // Values copied into a state buffer after the last step (when the
  // X_RetainedState output could not be computed in place): {value id, state index}.
  std::vector<std::pair<int32_t, int32_t>> state_writes;
  uint64_t arena_bytes = 0;
};

// A retained-state pair: graph input `input` and graph output `output`
// (`input` + "_RetainedState"), kept by the session between runs.
struct RetainedState {
  std::string input, output;
};

struct Constant {
  std::string name;
  graph::TensorType type;  // fixed
  graph::WeightData data;
};

// The compile options a Program records (and its cache key includes).
struct CompileOptions {
  std::string target = "cpu";
  std::vector<Specialization> specializations;
  qeff_dtype weight_dtype = QEFF_DTYPE_F32;  // storage of packed float matmul weights (F32, BF16, F16, I8, U4, F6_E2M3)
  // A pre-quantized int4 checkpoint's weights: false keeps their 4-bit values
  // (compile.quantized_checkpoint = keep), true dequantizes them and stores
  // them as weight_dtype (= dequantize).
  bool dequantize_int4 = false;
  int64_t int4_group = 32;                   // k per scale of U4 weights quantized at compile time (32 or 128)
  bool fuse = true;                          // run the fusion pass (false: for debugging/tests)
};

struct Program {
  std::string target = "cpu";
  CompileOptions options;
  // The caller-visible signature (symbolic shapes, as in the source graph),
  // without the retained-state inputs and outputs.
  std::vector<graph::ValueInfo> inputs, outputs;
  std::vector<RetainedState> retained;
  std::vector<Constant> constants;
  std::vector<Plan> plans;
  std::map<std::string, std::string> metadata;  // from the source graph
  // Small files the runtime needs beside the plans, by name (the tokenizer:
  // tokenizer.json, tokenizer_config.json, special_tokens_map.json, vocab.txt).
  std::map<std::string, std::string> assets;
  std::string source_hash;                      // identity of the source graph (ContentHash text)

  // The plan whose input shapes equal `shapes` (one per Program::inputs entry),
  // or -1.
  int find_plan(const std::vector<std::vector<int64_t>> &shapes) const;
};

}  // namespace qeff::compiler
