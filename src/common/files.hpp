// The file system as a trust boundary (RELIABILITY.md A6.5): a FileRoot reads
// only inside one directory, following symlinks only when their canonical
// target stays inside an allowed root; opens only regular files (checked with
// fstat after opening, so FIFOs and devices never hang or stream); bounds every
// read; and memory-maps weights without copying them.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qeff {

// A file descriptor closed when it goes out of scope.
struct UniqueFd {
  int fd = -1;
  UniqueFd() = default;
  explicit UniqueFd(int f) : fd(f) {}
  UniqueFd(const UniqueFd &) = delete;
  UniqueFd &operator=(const UniqueFd &) = delete;
  ~UniqueFd() {
    if (fd >= 0) ::close(fd);
  }
  int release() {
    int f = fd;
    fd = -1;
    return f;
  }
};

// A read-only memory mapping of a whole regular file. Move-only.
class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(MappedFile &&o) noexcept;
  MappedFile &operator=(MappedFile &&o) noexcept;
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;
  ~MappedFile();

  const uint8_t *data() const { return data_; }
  uint64_t size() const { return size_; }
  const std::string &path() const { return path_; }

 private:
  friend class FileRoot;
  const uint8_t *data_ = nullptr;
  uint64_t size_ = 0;
  std::string path_;
};

// "a FIFO", "a directory", ... for a st_mode that is not a regular file.
std::string file_kind(unsigned mode);

// Validates a caller-supplied path argument: not empty, valid UTF-8, shorter
// than PATH_MAX. Throws QEFF_E_INVALID_ARGUMENT naming `what`.
void check_path_argument(std::string_view path, const char *what);

// Canonical absolute form of an existing directory. Throws QEFF_E_NOT_FOUND,
// QEFF_E_IO, QEFF_E_FORMAT (exists but is not a directory).
std::string canonical_directory(const std::string &path);

class FileRoot {
 public:
  // `dir` must be canonical (see canonical_directory). It is itself an allowed root.
  explicit FileRoot(std::string dir);

  const std::string &dir() const { return dir_; }
  const std::vector<std::string> &allowed_roots() const { return roots_; }
  // Adds a canonical directory that symlink targets may resolve into.
  void allow_root(const std::string &canonical_dir);

  // Canonical path of `relative` (a name or a/b path with no "..", "." or empty
  // components, not absolute), or nullopt if nothing exists there. Throws
  // QEFF_E_SECURITY when the name is unsafe or resolves outside every allowed
  // root, QEFF_E_NOT_FOUND for a dangling symlink, QEFF_E_IO otherwise.
  std::optional<std::string> resolve(const std::string &relative) const;
  bool exists(const std::string &relative) const { return resolve(relative).has_value(); }

  // Reads a whole regular file, at most `max_bytes` (QEFF_E_LIMIT beyond, checked
  // before reading). Throws QEFF_E_NOT_FOUND when absent.
  std::string read(const std::string &relative, uint64_t max_bytes, const char *limit_name) const;

  // Maps a whole regular file read-only. Throws QEFF_E_NOT_FOUND when absent.
  MappedFile map(const std::string &relative) const;

  // Display form of a file inside the root, for messages.
  std::string display(const std::string &relative) const;

 private:
  int open_regular(const std::string &relative, uint64_t *size) const;
  std::string dir_;
  std::vector<std::string> roots_;
};

// Whether `path` is `root` or lies beneath it (both canonical).
bool path_within(const std::string &path, const std::string &root);

}  // namespace qeff
