// The compiler's entry point (docs/compiler.md): an ONNX-level graph and
// compile options in, a Program out, through the passes
//   specialize (bind, infer, fold) -> fuse (+ weight packing) -> dead-code
//   elimination -> lowering and memory planning
// run once per specialization; constants shared between plans are stored once.
// Targets: "cpu" (this build). The target name is checked here so that other
// targets (cuda, qaic) can be added behind the same entry point.
#pragma once

#include <string>
#include <vector>

#include "compiler/program.hpp"
#include "graph/ir.hpp"

namespace qeff::compiler {

// The revision of what the passes produce: raised whenever a change makes
// the same graph and options compile into a different program (a new fusion
// rule, a fixed pattern, another plan), so that the compile cache (its keys
// hash it) never serves a program an older build compiled.
// 2: the activation rule sees through the exported GELU pattern's merged nodes.
// 3: seq_major_attention (qeff.cpu.AttentionBSHD).
// 4: shared_input (qeff.cpu.PackedMatMulGroup).
inline constexpr int kCompilerRevision = 4;

// The targets this build can compile for.
std::vector<std::string> available_targets();

// Whether CompileOptions::int4_group is a group size the kernels store (32 or
// 128; ops::int4_group_supported), for callers that name their own option.
bool int4_group_supported(int64_t int4_group);

// Throws qeff::Error: QEFF_E_INVALID_ARGUMENT for bad options (no or
// duplicate specializations, unknown target, bad weight dtype), and the
// passes' errors naming the specialization and node.
Program compile(const graph::Graph &graph, const CompileOptions &options, const std::string &source_hash = {});

// The natural parameters of a task (QEfficient's compile arguments).
struct NaturalParameters {
  int64_t batch_size = 1;
  std::vector<int64_t> seq_len;  // encoders: one specialization per length
  int64_t prefill_seq_len = 32;  // causal LMs
  int64_t ctx_len = 128;
};

// Specializations from the natural parameters for a graph whose input
// symbols are among batch_size, seq_len and ctx_len: with ctx_len, a causal
// LM's "Prefill" (seq_len = prefill_seq_len) and "Decode" (seq_len = 1);
// else, with seq_len, "Embedding_<n>" per distinct length (ascending); with no
// symbols at all, one "Default". Other symbols: QEFF_E_INVALID_ARGUMENT naming
// them (give explicit specializations).
std::vector<Specialization> natural_specializations(const graph::Graph &graph, const NaturalParameters &p);

// Specializations from JSON text: an array of {"name": ..., "symbols": {k: v}}
// or QEfficient's {"specializations": [...]} (values may be numbers or decimal
// strings; an entry without "name" is named "spec_<i>"). `what` names the
// source in messages.
std::vector<Specialization> parse_specializations(const std::string &json, const std::string &what);

}  // namespace qeff::compiler
