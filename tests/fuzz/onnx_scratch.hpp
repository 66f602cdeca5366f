// The scratch model directory of the ONNX fuzz targets: external-data files
// and the traps an ONNX file may point at (RELIABILITY.md B10, 91 and 93).
//   <dir>/model/w.bin              4096 bytes, byte i = i * 7 mod 251
//   <dir>/model/sub/d.bin          1024 bytes
//   <dir>/model/empty.bin          0 bytes
//   <dir>/model/link.bin           symlink to w.bin           (QEFF_E_SECURITY)
//   <dir>/model/sublink/           symlink to sub             (QEFF_E_SECURITY)
//   <dir>/model/hard.bin           hard link of w.bin          (QEFF_E_SECURITY)
//   <dir>/model/fifo.bin           a FIFO                      (no hang: QEFF_E_FORMAT)
//   <dir>/model/dir.bin/           a directory
//   <dir>/model/llama_block.onnx.data  the torch export's external data
//   <dir>/outside.bin              outside the model directory
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "fuzz_common.hpp"

namespace qeff_fuzz {

inline std::string pattern_bytes(size_t n, unsigned mul) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * mul) % 251);
  return s;
}

// Creates the layout under `scratch` and returns the model directory.
inline std::string make_onnx_dir(const ScratchDir &scratch) {
  std::string dir = scratch.file("model");
  std::filesystem::create_directories(dir + "/sub");
  std::filesystem::create_directories(dir + "/dir.bin");
  write_file(dir + "/w.bin", pattern_bytes(4096, 7));
  write_file(dir + "/sub/d.bin", pattern_bytes(1024, 13));
  write_file(dir + "/empty.bin", "");
  write_file(scratch.file("outside.bin"), pattern_bytes(4096, 3));
#ifdef QEFF_FUZZ_SOURCE
  std::string data = read_file(std::string(QEFF_FUZZ_SOURCE) + "/../onnx/torch_exports/llama_block.onnx.data");
  if (!data.empty()) write_file(dir + "/llama_block.onnx.data", data);
#endif
  if (::symlink("w.bin", (dir + "/link.bin").c_str()) != 0 || ::symlink("sub", (dir + "/sublink").c_str()) != 0 ||
      ::link((dir + "/w.bin").c_str(), (dir + "/hard.bin").c_str()) != 0 ||
      ::mkfifo((dir + "/fifo.bin").c_str(), 0600) != 0) {
    std::perror("making the ONNX scratch directory");
    std::abort();
  }
  return dir;
}

}  // namespace qeff_fuzz
