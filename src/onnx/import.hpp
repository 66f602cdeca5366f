// Import of an ONNX model file as a graph::Graph, with strict validation of
// everything the file says (RELIABILITY.md B10): the protobuf itself, versions
// and opsets, the op set qeff supports, tensors, external data and the graph
// invariants (graph::verify). Nothing from the file is trusted: every size is
// checked before it is used, and every error is a qeff::Error naming the file,
// the node or tensor and the value at fault.
//
// Policies:
// - The model is read with FileRoot from the directory of `path`: a regular
//   file only (FIFOs and devices are QEFF_E_FORMAT without blocking); it may be
//   a symlink only when its target stays inside that directory. Its size is
//   checked against `max_model_bytes` (and protobuf's INT_MAX) before reading.
// - Parsing uses an explicit recursion limit (kProtoRecursionLimit): deeper
//   nesting is QEFF_E_FORMAT, never a stack overflow.
// - IR version: 3 (the first with opset imports) to onnx::IR_VERSION (8, what
//   this ONNX 1.12 knows). 0/missing/negative is QEFF_E_FORMAT, 1-2 and newer
//   than 8 QEFF_E_UNSUPPORTED.
// - Opsets: the default domain ("" or its alias "ai.onnx", stored as "") must be
//   imported, at a version in [kMinDefaultOpset, kMaxDefaultOpset] = [11, 21].
//   11 is the oldest torch.onnx exports still target (older opsets use the
//   attribute forms of Slice, Upsample, ...); 17 is what qeff exports; 20 is
//   needed for Gelu; 21 is the newest opset whose changes to the listed ops
//   are known here. The version is recorded in Graph::opsets, so the compiler
//   reads each op with its opset's semantics (e.g. ReduceMean axes: attribute
//   up to 17, input from 18). Older or newer is QEFF_E_UNSUPPORTED, version
//   <= 0 QEFF_E_FORMAT. "qeff" must be version 1. Imports of other domains
//   that no node uses are dropped.
// - Ops: the standard ops of kSupportedOps (domain "" / "ai.onnx") and qeff's
//   fused ops (domain "qeff", each with its FunctionProto in the model; the
//   bodies are not imported). Everything else, including other domains
//   (com.microsoft, ...) and control flow, is QEFF_E_UNSUPPORTED listing every
//   offending op with its count: `unsupported ops: Loop x2, com.microsoft.X x1`.
//   GRAPH/GRAPHS, SPARSE_TENSOR(S), TENSORS and TYPE_PROTO(S) attributes are
//   QEFF_E_UNSUPPORTED; sparse initializers too.
// - Graph inputs that are also initializers (IR < 4 exporters) are dropped from
//   the inputs; the initializer wins (their types must agree).
// - Types: dim_value -> fixed, dim_param -> symbol, a dim with neither -> a fresh
//   symbol "unk__N". Graph inputs and outputs need a tensor type with a shape;
//   value_info entries without an element type or shape are skipped.
// - Tensors: typed fields (float_data, int32_data, ...) become little-endian raw
//   bytes with exact count and range checks; STRING and COMPLEX128 are
//   QEFF_E_UNSUPPORTED, unknown or UNDEFINED types QEFF_E_FORMAT.
// - External data (external_data.hpp): location/offset/length/checksum keys
//   (checksum is not verified; unknown keys are ignored with a warning),
//   opened beneath the model's directory without following any symlink, regular
//   files with a single link only, memory-mapped once per file and viewed
//   without copying (WeightData::view remembers file and offset).
// - Metadata props become graph metadata (a key given twice is QEFF_E_FORMAT),
//   except "qeff.content_hash", which describes the exported files, not the
//   graph (export computes it anew).
// - Trailing empty output names of a node (omitted optional outputs) are
//   dropped; the graph is finally checked by graph::verify.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "graph/ir.hpp"

namespace qeff::onnx_io {

struct ImportLimits {
  uint64_t max_model_bytes = 2147483647;       // the .onnx file (protobuf cannot exceed INT_MAX)
  uint64_t max_nodes = 1000000;                // nodes of the main graph
  uint64_t max_initializers = 1000000;         // initializers of the main graph
  uint64_t max_attribute_elements = 1 << 24;   // elements of one list or tensor attribute
  uint64_t max_rank = 8;                       // rank of any tensor or value type
  uint64_t max_external_bytes = 1ULL << 40;    // sum of all external-data lengths
};

inline constexpr int kProtoRecursionLimit = 100;
inline constexpr int64_t kMinIrVersion = 3;
inline constexpr int64_t kMinDefaultOpset = 11;
inline constexpr int64_t kMaxDefaultOpset = 21;

// Whether `op_type` of the default ONNX domain is one the importer accepts.
bool is_supported_onnx_op(const std::string &op_type);
// Every op_type of the default ONNX domain the importer accepts (for the op
// registry's coverage test and docs).
std::vector<std::string_view> supported_onnx_ops();

// Reads <path> (a model.onnx file; its directory is the base for external
// data). Throws qeff::Error: QEFF_E_INVALID_ARGUMENT (bad path argument),
// QEFF_E_NOT_FOUND, QEFF_E_IO, QEFF_E_FORMAT (malformed file or graph),
// QEFF_E_UNSUPPORTED (valid ONNX qeff does not handle), QEFF_E_LIMIT (a cap of
// `limits`), QEFF_E_SECURITY (unsafe external-data location, link).
graph::Graph import_model(const std::string &path, const ImportLimits &limits = {});

}  // namespace qeff::onnx_io
