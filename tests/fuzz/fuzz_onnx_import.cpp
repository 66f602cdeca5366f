// ONNX model import (onnx_io::import_model): the input is model.onnx, written
// into a scratch model directory holding external-data files and traps
// (onnx_scratch.hpp), so external-data locations are resolved for real.
//
// Invariants (RELIABILITY.md B10): a failure is QEFF_E_FORMAT,
// QEFF_E_UNSUPPORTED, QEFF_E_LIMIT, QEFF_E_SECURITY, QEFF_E_NOT_FOUND or
// QEFF_E_IO with a message; nothing hangs on the FIFO. A success gives a graph
// that graph::verify accepts, with at most ImportLimits.max_nodes nodes and
// initializers, whose initializers hold exactly byte_size(type) bytes; every
// file-backed initializer names a file inside the model directory (never a
// symlink, a hard link or outside.bin), and its bytes equal the file's bytes at
// its offset.
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz_common.hpp"
#include "graph/ir.hpp"
#include "graph/verify.hpp"
#include "onnx/import.hpp"
#include "onnx_scratch.hpp"

namespace {
qeff_fuzz::ScratchDir *scratch;
std::string model_dir;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  static qeff_fuzz::ScratchDir dir;  // removed at exit
  scratch = &dir;
  model_dir = qeff_fuzz::make_onnx_dir(*scratch);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (scratch == nullptr) LLVMFuzzerInitialize(nullptr, nullptr);
  const std::string path = model_dir + "/model.onnx";
  qeff_fuzz::write_file(path, std::string_view(reinterpret_cast<const char *>(data), data != nullptr ? size : 0));
  qeff::onnx_io::ImportLimits limits;
  limits.max_nodes = 2000;
  limits.max_initializers = 2000;
  limits.max_attribute_elements = 1 << 16;
  limits.max_external_bytes = 1 << 20;
  qeff::graph::Graph g;
  bool ok = qeff_fuzz::run_checked(
      "import_model",
      {QEFF_E_FORMAT, QEFF_E_UNSUPPORTED, QEFF_E_LIMIT, QEFF_E_SECURITY, QEFF_E_NOT_FOUND, QEFF_E_IO},
      [&] { g = qeff::onnx_io::import_model(path, limits); }, "model.onnx");
  if (!ok) return 0;

  bool verified = qeff_fuzz::run_checked("graph::verify", {}, [&] { qeff::graph::verify(g); });
  FUZZ_CHECK(verified, "an imported graph fails graph::verify");
  FUZZ_CHECK(g.nodes.size() <= limits.max_nodes && g.initializers.size() <= limits.max_initializers,
             "graph above the caps");
  for (const auto &init : g.initializers) {
    auto bytes = qeff::graph::byte_size(init.type);
    FUZZ_CHECK(bytes && *bytes == init.data.size(), "initializer %s holds %llu bytes for %s", init.name.c_str(),
               (unsigned long long)init.data.size(), qeff::graph::to_string(init.type).c_str());
    if (init.data.file().empty()) continue;
    std::string file = init.data.file();
    std::string canon = std::filesystem::weakly_canonical(file).string();
    FUZZ_CHECK(qeff::graph::byte_size(init.type).has_value(), "unsized");
    FUZZ_CHECK(canon.rfind(model_dir + "/", 0) == 0, "initializer %s reads %s, outside the model directory",
               init.name.c_str(), file.c_str());
    FUZZ_CHECK(!std::filesystem::is_symlink(file), "initializer %s reads through a symlink", init.name.c_str());
    std::string content = qeff_fuzz::read_file(file);
    FUZZ_CHECK(init.data.file_offset() <= content.size() &&
                   init.data.size() <= content.size() - init.data.file_offset() &&
                   (init.data.size() == 0 ||
                    std::memcmp(content.data() + init.data.file_offset(), init.data.data(), init.data.size()) == 0),
               "initializer %s does not hold the bytes of %s at %llu", init.name.c_str(), file.c_str(),
               (unsigned long long)init.data.file_offset());
  }
  return 0;
}
