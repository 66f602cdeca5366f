// Export of a graph::Graph as an ONNX model directory: `model.onnx` (opset from
// the graph, IR version 8) plus one external-data file `model.onnx.data` with
// every initializer above a small size at an aligned offset. File names are
// ours, never taken from tensor names. Writing is atomic: temp files created
// with O_CREAT|O_EXCL|O_NOFOLLOW inside the output directory, then renamed; on
// failure nothing is left at the final paths.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "graph/ir.hpp"

namespace onnx {
class ModelProto;
}

namespace qeff::onnx_io {

struct ExportOptions {
  std::map<std::string, std::string> metadata;  // added to the graph's metadata props
  uint64_t alignment = 64;                      // external data offsets are multiples of it
  uint64_t inline_limit = 1024;                 // initializers up to this size stay inline
  bool overwrite = false;  // replace an existing model.onnx (else QEFF_E_IO "exists")
  // Canonical output directory (export_model sets it). An initializer viewing
  // bytes of a file directly inside it (a safetensors file of the model being
  // exported into its own directory) is referenced in place, not copied.
  std::string reference_dir;
};

struct ExportedFiles {
  std::string model_path;  // <dir>/model.onnx
  std::string data_path;   // <dir>/model.onnx.data ("" when every tensor is inline)
  uint64_t data_bytes = 0;
};

inline constexpr const char *kModelFile = "model.onnx";
inline constexpr const char *kDataFile = "model.onnx.data";

// Builds the ModelProto. Initializers larger than `inline_limit` reference
// `kDataFile` at the offsets returned in `offsets` (by initializer index;
// UINT64_MAX for inline ones and for those referenced in place, see
// `reference_dir`). Throws QEFF_E_UNSUPPORTED for element types ONNX
// 1.12 cannot hold (FP8, FP6, FP4).
void to_model_proto(const graph::Graph &graph, const ExportOptions &options, onnx::ModelProto *out,
                    std::vector<uint64_t> *offsets);

// Verifies, converts and writes `graph` into `output_dir` (created if missing;
// must not be a symlink). The directory is locked (flock) while writing: a
// concurrent export to it gets QEFF_E_BUSY. Temp files left by an interrupted
// export are removed. Throws QEFF_E_IO (not a directory, exists without
// `overwrite`, write errors), QEFF_E_SECURITY (symlinked directory),
// QEFF_E_FORMAT (invalid graph), QEFF_E_UNSUPPORTED, QEFF_E_BUSY, QEFF_E_LIMIT.
ExportedFiles export_model(const graph::Graph &graph, const std::string &output_dir,
                           const ExportOptions &options = {});

}  // namespace qeff::onnx_io
