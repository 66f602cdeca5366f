// ONNX external data for the importer (import.hpp), following ONNX/ORT's
// hardening (RELIABILITY.md A6.5, B10 items 91 and 93):
// - keys: location (required), offset, length, checksum (not verified); other
//   keys are ignored with a warning; a key given twice is QEFF_E_FORMAT.
// - location: a plain relative path ("a/b.bin") with no absolute start, "..",
//   "." or empty components, backslashes or NUL, and never ORT's
//   "*/_ORT_MEM_ADDR_/*" marker: QEFF_E_SECURITY.
// - offset/length: decimal digits only ("1e3", "-1", "0x10", "+1", " 1" and
//   values above 2^64-1 are QEFF_E_FORMAT); offset + length must not overflow
//   and must lie within the file; length must equal the tensor's byte size (a
//   missing length means "to the end of the file", as in ONNX).
// - the file is opened beneath the model's directory with
//   openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) where the kernel has it,
//   else component by component with O_NOFOLLOW: a symlink anywhere on the way
//   is QEFF_E_SECURITY. Then fstat: a regular file (else QEFF_E_FORMAT) with one
//   link (a hard link is QEFF_E_SECURITY).
// - each file is memory-mapped read-only once; tensors are views of the
//   mapping, which stays alive as long as any view (shared owner).
// - the sum of all lengths is capped (limits.onnx_external_bytes,
//   QEFF_E_LIMIT), checked before anything is opened.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "graph/ir.hpp"

namespace onnx {
class TensorProto;
}

namespace qeff::onnx_io::detail {

// Non-negative decimal integer of at most 2^64-1, digits only; nullopt otherwise.
std::optional<uint64_t> parse_decimal(std::string_view text);

// Throws QEFF_E_SECURITY unless `location` is a safe relative path (see above).
void check_location(const std::string &location, const std::string &what);

// Opens `location` (checked by check_location) read-only beneath the directory
// `dirfd` without following any symlink; `display` names it in messages. With
// `allow_openat2` false the portable component-by-component walk is used (tests
// exercise both). Returns the descriptor (O_CLOEXEC, non-blocking cleared).
// Throws QEFF_E_SECURITY (a symlink, an escape), QEFF_E_NOT_FOUND, QEFF_E_FORMAT
// (a component is not a directory), QEFF_E_IO.
int open_beneath(int dirfd, const std::string &location, const std::string &display, bool allow_openat2 = true);

class ExternalData {
 public:
  // `base_dir`: the canonical directory of the model file.
  ExternalData(std::string base_dir, uint64_t max_total_bytes);
  ~ExternalData();
  ExternalData(const ExternalData &) = delete;
  ExternalData &operator=(const ExternalData &) = delete;

  // A view of the `nbytes` external bytes of `t` (data_location EXTERNAL), which
  // keeps its mapping alive and remembers the file and offset. `what` names the
  // tensor in messages.
  graph::WeightData view(const onnx::TensorProto &t, uint64_t nbytes, const std::string &what);

 private:
  struct Mapping;
  std::shared_ptr<const Mapping> map(const std::string &location, const std::string &what);

  std::string base_dir_;
  uint64_t max_total_;
  uint64_t total_ = 0;
  int dirfd_ = -1;
  std::map<std::string, std::shared_ptr<const Mapping>> files_;
};

}  // namespace qeff::onnx_io::detail
