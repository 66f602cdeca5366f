// safetensors files: validated exactly as the format's reference parser does
// (RELIABILITY.md B4), memory-mapped, with zero-copy tensor views.
//
// Layout: u64 little-endian header length N, N bytes of UTF-8 JSON (an object
// of tensor entries {dtype, shape, data_offsets} plus an optional
// "__metadata__" string->string map), then the data section. Offsets are
// relative to the data section, contiguous from 0, non-overlapping, and the last
// one ends exactly at the end of the file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/files.hpp"
#include "hub/limits.hpp"
#include "qeff/qeff.h"

namespace qeff::hub {

// A weight tensor inside a mapped file. `data` may be unaligned: read it with
// memcpy (or through kernels that handle it), never by casting.
struct TensorView {
  std::string name;
  qeff_dtype dtype = QEFF_DTYPE_UNKNOWN;
  std::vector<int64_t> shape;
  uint64_t numel = 0;
  const uint8_t *data = nullptr;
  uint64_t nbytes = 0;
  const std::string *file = nullptr;  // display path of the file holding it
};

// "[2, 3]" for messages.
std::string shape_text(const std::vector<int64_t> &shape);

struct SafetensorsHeader {
  std::vector<TensorView> tensors;  // sorted by data offset; `data` relative to nullptr
  std::vector<uint64_t> offsets;    // begin offset in the data section, per tensor
  std::map<std::string, std::string> metadata;
  uint64_t data_offset = 0;         // 8 + N
};

// Validates a complete safetensors image of `size` bytes. `origin` names it in
// errors. Throws QEFF_E_FORMAT / QEFF_E_LIMIT / QEFF_E_UNSUPPORTED.
SafetensorsHeader parse_safetensors(const uint8_t *data, uint64_t size, const std::string &origin,
                                    const HubLimits &limits);

class SafetensorsFile {
 public:
  // Takes ownership of the mapping; tensor views point into it.
  static SafetensorsFile open(MappedFile file, const HubLimits &limits);

  SafetensorsFile(SafetensorsFile &&) noexcept = default;
  SafetensorsFile &operator=(SafetensorsFile &&) noexcept = default;

  const std::vector<TensorView> &tensors() const { return tensors_; }  // sorted by name
  const std::map<std::string, std::string> &metadata() const { return metadata_; }
  const std::string &path() const { return *path_; }
  const TensorView *find(const std::string &name) const;
  const MappedFile &mapping() const { return file_; }

 private:
  SafetensorsFile() = default;
  MappedFile file_;
  std::unique_ptr<std::string> path_;  // stable address for TensorView::file
  std::vector<TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace qeff::hub
