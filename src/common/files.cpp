#include "common/files.hpp"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "common/error.hpp"
#include "common/utf8.hpp"

namespace qeff {
namespace {

std::string errno_text(int e) { return std::strerror(e); }

void check_relative_name(const std::string &rel, const std::string &dir) {
  bool bad = rel.empty() || rel.front() == '/' || rel.find('\0') != std::string::npos ||
             !utf8_valid(rel);
  size_t start = 0;
  while (!bad && start <= rel.size()) {
    size_t slash = rel.find('/', start);
    if (slash == std::string::npos) slash = rel.size();
    std::string part = rel.substr(start, slash - start);
    if (part.empty() || part == "." || part == "..") bad = true;
    start = slash + 1;
  }
  if (bad)
    fail(QEFF_E_SECURITY, "unsafe file name " + quote(rel) + " inside " + quote(dir) +
                              " (absolute, empty, '.' or '..' components are not allowed)");
}

}  // namespace

MappedFile::MappedFile(MappedFile &&o) noexcept
    : data_(o.data_), size_(o.size_), path_(std::move(o.path_)) {
  o.data_ = nullptr;
  o.size_ = 0;
}

MappedFile &MappedFile::operator=(MappedFile &&o) noexcept {
  if (this != &o) {
    if (data_ != nullptr) ::munmap(const_cast<uint8_t *>(data_), size_);
    data_ = o.data_;
    size_ = o.size_;
    path_ = std::move(o.path_);
    o.data_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t *>(data_), size_);
}

std::string file_kind(unsigned mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symlink";
  return "not a regular file";
}

void check_path_argument(std::string_view path, const char *what) {
  if (path.empty()) fail(QEFF_E_INVALID_ARGUMENT, std::string(what) + " is an empty string");
  if (path.size() >= PATH_MAX)
    fail(QEFF_E_INVALID_ARGUMENT, std::string(what) + " is " + std::to_string(path.size()) +
                                      " bytes long; the limit is " + std::to_string(PATH_MAX - 1));
  if (!utf8_valid(path))
    fail(QEFF_E_INVALID_ARGUMENT, std::string(what) + " " + quote(path) + " is not valid UTF-8");
}

std::string canonical_directory(const std::string &path) {
  std::unique_ptr<char, decltype(&free)> real(::realpath(path.c_str(), nullptr), &free);
  if (!real) {
    int e = errno;
    if (e == ENOENT || e == ENOTDIR)
      fail(QEFF_E_NOT_FOUND, "directory " + quote(path) + " does not exist");
    if (e == ENAMETOOLONG) fail(QEFF_E_INVALID_ARGUMENT, "path " + quote(path) + " is too long");
    fail(QEFF_E_IO, "cannot resolve " + quote(path) + ": " + errno_text(e));
  }
  struct stat st;
  if (::stat(real.get(), &st) != 0)
    fail(QEFF_E_IO, "cannot stat " + quote(path) + ": " + errno_text(errno));
  if (!S_ISDIR(st.st_mode))
    fail(QEFF_E_FORMAT, quote(path) + " is " + (S_ISREG(st.st_mode) ? "a file" : file_kind(st.st_mode)) +
                            ", expected a model directory");
  return real.get();
}

bool path_within(const std::string &path, const std::string &root) {
  if (root == "/") return true;
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                          path[root.size()] == '/');
}

FileRoot::FileRoot(std::string dir) : dir_(std::move(dir)) { roots_.push_back(dir_); }

void FileRoot::allow_root(const std::string &canonical_dir) {
  for (const auto &r : roots_)
    if (r == canonical_dir) return;
  roots_.push_back(canonical_dir);
}

std::string FileRoot::display(const std::string &relative) const { return dir_ + "/" + relative; }

std::optional<std::string> FileRoot::resolve(const std::string &relative) const {
  check_relative_name(relative, dir_);
  std::string joined = display(relative);
  struct stat lst;
  if (::lstat(joined.c_str(), &lst) != 0) {
    int e = errno;
    if (e == ENOENT || e == ENOTDIR) return std::nullopt;
    fail(QEFF_E_IO, "cannot access " + quote(joined) + ": " + errno_text(e));
  }
  std::unique_ptr<char, decltype(&free)> real(::realpath(joined.c_str(), nullptr), &free);
  if (!real) {
    int e = errno;
    if (e == ENOENT)
      fail(QEFF_E_NOT_FOUND, quote(joined) + " is a dangling symlink");
    fail(QEFF_E_IO, "cannot resolve " + quote(joined) + ": " + errno_text(e));
  }
  for (const auto &root : roots_)
    if (path_within(real.get(), root)) return std::string(real.get());
  fail(QEFF_E_SECURITY, quote(joined) + " resolves to " + quote(real.get()) +
                            ", outside the model directory (set load.allowed_root to allow it)");
}

int FileRoot::open_regular(const std::string &relative, uint64_t *size) const {
  std::optional<std::string> real = resolve(relative);
  if (!real) fail(QEFF_E_NOT_FOUND, quote(display(relative)) + " does not exist");
  // The canonical path has no symlinks left: O_NOFOLLOW refuses one swapped in
  // since. O_NONBLOCK keeps a FIFO from blocking the open.
  UniqueFd f;
  f.fd = ::open(real->c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  if (f.fd < 0) {
    int e = errno;
    if (e == ENOENT) fail(QEFF_E_NOT_FOUND, quote(display(relative)) + " does not exist");
    if (e == ELOOP) fail(QEFF_E_SECURITY, quote(display(relative)) + " changed into a symlink");
    fail(QEFF_E_IO, "cannot open " + quote(display(relative)) + ": " + errno_text(e));
  }
  struct stat st;
  if (::fstat(f.fd, &st) != 0)
    fail(QEFF_E_IO, "cannot stat " + quote(display(relative)) + ": " + errno_text(errno));
  if (!S_ISREG(st.st_mode))
    fail(QEFF_E_FORMAT, quote(display(relative)) + " is " + file_kind(st.st_mode) +
                            ", expected a regular file");
  int flags = ::fcntl(f.fd, F_GETFL);
  if (flags >= 0) ::fcntl(f.fd, F_SETFL, flags & ~O_NONBLOCK);
  *size = static_cast<uint64_t>(st.st_size);
  return f.release();
}

std::string FileRoot::read(const std::string &relative, uint64_t max_bytes,
                           const char *limit_name) const {
  uint64_t size = 0;
  UniqueFd f;
  f.fd = open_regular(relative, &size);
  if (size > max_bytes)
    fail(QEFF_E_LIMIT, quote(display(relative)) + " is " + std::to_string(size) +
                           " bytes; the limit is " + std::to_string(max_bytes) + " (" + limit_name + ")");
  std::string out;
  out.resize(static_cast<size_t>(size));
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(f.fd, &out[done], out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(QEFF_E_IO, "cannot read " + quote(display(relative)) + ": " + errno_text(errno));
    if (n == 0) break;  // shrank while reading: keep what is there
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

MappedFile FileRoot::map(const std::string &relative) const {
  uint64_t size = 0;
  UniqueFd f;
  f.fd = open_regular(relative, &size);
  MappedFile m;
  m.path_ = display(relative);
  if (size == 0) return m;
  if (size > SIZE_MAX) fail(QEFF_E_LIMIT, quote(m.path_) + " is too large to map");
  void *p = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_PRIVATE, f.fd, 0);
  if (p == MAP_FAILED)
    fail(errno == ENOMEM ? QEFF_E_OOM : QEFF_E_IO,
         "cannot map " + quote(m.path_) + ": " + errno_text(errno));
  m.data_ = static_cast<const uint8_t *>(p);
  m.size_ = size;
  return m;
}

}  // namespace qeff
