#include "onnx/external_data.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#endif

#include <onnx/onnx_pb.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/checked.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "common/utf8.hpp"

namespace qeff::onnx_io::detail {
namespace {

[[noreturn]] void open_failed(int e, const std::string &display, const std::string &part) {
  std::string at = part.empty() ? "" : " (at " + quote(part) + ")";
  switch (e) {
    case ELOOP:
      fail(QEFF_E_SECURITY, "external data " + quote(display) + " is or passes through a symlink" + at +
                                "; links are not followed");
    case EXDEV:
      fail(QEFF_E_SECURITY, "external data " + quote(display) + " resolves outside the model directory" + at);
    case ENOENT: fail(QEFF_E_NOT_FOUND, "external data " + quote(display) + " does not exist" + at);
    case ENOTDIR:
      fail(QEFF_E_FORMAT, "external data " + quote(display) + ": a path component is not a directory" + at);
    default: break;
  }
  fail(QEFF_E_IO, "cannot open external data " + quote(display) + ": " + std::strerror(e));
}

constexpr int kFileFlags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;

// The portable walk: every component opened relative to the verified previous
// one, intermediate ones with O_PATH|O_NOFOLLOW and checked to be directories
// (a symlink opened that way is the link itself, seen by fstat).
int open_walk(int dirfd, const std::string &location, const std::string &display) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= location.size()) {
    size_t slash = location.find('/', start);
    if (slash == std::string::npos) slash = location.size();
    parts.push_back(location.substr(start, slash - start));
    start = slash + 1;
  }
  UniqueFd dir;  // -1 while at `dirfd`
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    UniqueFd next(::openat(dir.fd >= 0 ? dir.fd : dirfd, parts[i].c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (next.fd < 0) open_failed(errno, display, parts[i]);
    struct stat st;
    if (::fstat(next.fd, &st) != 0) open_failed(errno, display, parts[i]);
    if (S_ISLNK(st.st_mode)) open_failed(ELOOP, display, parts[i]);
    if (!S_ISDIR(st.st_mode)) open_failed(ENOTDIR, display, parts[i]);
    std::swap(dir.fd, next.fd);
  }
  int fd = ::openat(dir.fd >= 0 ? dir.fd : dirfd, parts.back().c_str(), kFileFlags);
  if (fd < 0) open_failed(errno, display, parts.size() > 1 ? parts.back() : "");
  return fd;
}

}  // namespace

std::optional<uint64_t> parse_decimal(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    auto m = checked_mul<uint64_t>(v, 10);
    if (!m) return std::nullopt;
    auto a = checked_add<uint64_t>(*m, static_cast<uint64_t>(c - '0'));
    if (!a) return std::nullopt;
    v = *a;
  }
  return v;
}

void check_location(const std::string &loc, const std::string &what) {
  auto bad = [&](const char *why) {
    fail(QEFF_E_SECURITY, what + ": external data location " + quote(loc) + " is not allowed (" + why + ")");
  };
  if (loc.find("_ORT_MEM_ADDR_") != std::string::npos) bad("ONNX Runtime's in-memory address marker");
  if (loc.empty()) bad("empty");
  if (loc.find('\0') != std::string::npos) bad("contains a NUL byte");
  if (!utf8_valid(loc)) bad("not valid UTF-8");
  if (loc.front() == '/') bad("absolute path");
  if (loc.find('\\') != std::string::npos) bad("contains a backslash");
  size_t start = 0;
  while (start <= loc.size()) {
    size_t slash = loc.find('/', start);
    if (slash == std::string::npos) slash = loc.size();
    std::string_view part(loc.data() + start, slash - start);
    if (part.empty()) bad("empty path component");
    if (part == ".") bad("'.' component");
    if (part == "..") bad("'..' component");
    start = slash + 1;
  }
}

int open_beneath(int dirfd, const std::string &location, const std::string &display, bool allow_openat2) {
  int fd = -1;
  bool done = false;
#if defined(SYS_openat2) && defined(RESOLVE_BENEATH)
  if (allow_openat2) {
    struct open_how how;
    std::memset(&how, 0, sizeof how);
    how.flags = static_cast<uint64_t>(kFileFlags);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long r = ::syscall(SYS_openat2, dirfd, location.c_str(), &how, sizeof how);
    if (r >= 0) {
      fd = static_cast<int>(r);
      done = true;
    } else if (errno != ENOSYS && errno != EPERM) {  // no openat2 (old kernel, seccomp): walk instead
      open_failed(errno, display, "");
    }
  }
#else
  (void)allow_openat2;
#endif
  if (!done) fd = open_walk(dirfd, location, display);
  UniqueFd f(fd);
  int flags = ::fcntl(f.fd, F_GETFL);
  if (flags >= 0) ::fcntl(f.fd, F_SETFL, flags & ~O_NONBLOCK);
  return f.release();
}

struct ExternalData::Mapping {
  const uint8_t *data = nullptr;
  uint64_t size = 0;
  std::string path;
  ~Mapping() {
    if (data != nullptr) ::munmap(const_cast<uint8_t *>(data), static_cast<size_t>(size));
  }
};

ExternalData::ExternalData(std::string base_dir, uint64_t max_total_bytes)
    : base_dir_(std::move(base_dir)), max_total_(max_total_bytes) {}

ExternalData::~ExternalData() {
  if (dirfd_ >= 0) ::close(dirfd_);
}

std::shared_ptr<const ExternalData::Mapping> ExternalData::map(const std::string &location,
                                                              const std::string &what) {
  auto it = files_.find(location);
  if (it != files_.end()) return it->second;
  if (dirfd_ < 0) {
    dirfd_ = ::open(base_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dirfd_ < 0)
      fail(QEFF_E_IO, "cannot open the model directory " + quote(base_dir_) + ": " + std::strerror(errno));
  }
  auto m = std::make_shared<Mapping>();
  m->path = base_dir_ + "/" + location;
  UniqueFd f;
  try {
    f.fd = open_beneath(dirfd_, location, m->path);
  } catch (const Error &e) {
    fail(e.status(), what + ": " + e.what());
  }
  struct stat st;
  if (::fstat(f.fd, &st) != 0) fail(QEFF_E_IO, "cannot stat " + quote(m->path) + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    fail(QEFF_E_FORMAT, what + ": external data " + quote(m->path) + " is " + file_kind(st.st_mode) +
                            ", expected a regular file");
  if (st.st_nlink != 1)
    fail(QEFF_E_SECURITY, what + ": external data " + quote(m->path) + " has " + std::to_string(st.st_nlink) +
                              " hard links; a file with more than one is not read");
  m->size = static_cast<uint64_t>(st.st_size);
  if (m->size > 0) {
    if (m->size > SIZE_MAX) fail(QEFF_E_LIMIT, quote(m->path) + " is too large to map");
    void *p = ::mmap(nullptr, static_cast<size_t>(m->size), PROT_READ, MAP_PRIVATE, f.fd, 0);
    if (p == MAP_FAILED)
      fail(errno == ENOMEM ? QEFF_E_OOM : QEFF_E_IO, "cannot map " + quote(m->path) + ": " + std::strerror(errno));
    m->data = static_cast<const uint8_t *>(p);
  }
  files_.emplace(location, m);
  return m;
}

graph::WeightData ExternalData::view(const onnx::TensorProto &t, uint64_t nbytes, const std::string &what) {
  const std::string *location = nullptr, *offset_text = nullptr, *length_text = nullptr, *checksum = nullptr;
  for (const auto &e : t.external_data()) {
    const std::string **slot = nullptr;
    if (e.key() == "location") slot = &location;
    else if (e.key() == "offset") slot = &offset_text;
    else if (e.key() == "length") slot = &length_text;
    else if (e.key() == "checksum") slot = &checksum;
    if (slot == nullptr) {
      log_warn(what + ": ignoring unknown external_data key " + quote(e.key()));
      continue;
    }
    if (*slot != nullptr) fail(QEFF_E_FORMAT, what + ": external_data key " + quote(e.key()) + " is given twice");
    *slot = &e.value();
  }
  (void)checksum;  // optional SHA-1 of the bytes; not verified
  if (location == nullptr) fail(QEFF_E_FORMAT, what + ": external_data has no \"location\"");
  check_location(*location, what);
  uint64_t offset = 0;
  if (offset_text != nullptr) {
    auto v = parse_decimal(*offset_text);
    if (!v)
      fail(QEFF_E_FORMAT, what + ": external_data offset " + quote(*offset_text) +
                              " is not a non-negative decimal integer below 2^64");
    offset = *v;
  }
  std::optional<uint64_t> length;
  if (length_text != nullptr) {
    length = parse_decimal(*length_text);
    if (!length)
      fail(QEFF_E_FORMAT, what + ": external_data length " + quote(*length_text) +
                              " is not a non-negative decimal integer below 2^64");
    if (*length != nbytes)
      fail(QEFF_E_FORMAT, what + ": external_data length " + std::to_string(*length) +
                              " differs from the tensor's byte size " + std::to_string(nbytes));
  }
  auto end = checked_add<uint64_t>(offset, nbytes);
  if (!end)
    fail(QEFF_E_FORMAT, what + ": external_data offset " + std::to_string(offset) + " + length " +
                            std::to_string(nbytes) + " overflows 64 bits");
  auto total = checked_add<uint64_t>(total_, nbytes);
  if (!total || *total > max_total_)
    fail(QEFF_E_LIMIT, what + ": external data would total more than limits.onnx_external_bytes = " +
                           std::to_string(max_total_) + " bytes");
  total_ = *total;

  auto m = map(*location, what);
  if (*end > m->size)
    fail(QEFF_E_FORMAT, what + ": external_data offset " + std::to_string(offset) + " + length " +
                            std::to_string(nbytes) + " exceeds the size of " + quote(m->path) + " (" +
                            std::to_string(m->size) + " bytes)");
  if (!length && *end != m->size)
    fail(QEFF_E_FORMAT, what + ": external_data has no length, so it runs to the end of " + quote(m->path) +
                            ": " + std::to_string(m->size - offset) + " bytes, but the tensor needs " +
                            std::to_string(nbytes));
  const uint8_t *data = m->data != nullptr ? m->data + offset : nullptr;
  return graph::WeightData::view(data, nbytes, m, m->path, offset);
}

}  // namespace qeff::onnx_io::detail
