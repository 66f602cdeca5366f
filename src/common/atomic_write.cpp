#include "common/atomic_write.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include "common/cancel.hpp"
#include "common/error.hpp"
#include "common/files.hpp"

namespace qeff {
namespace {

std::string errno_text(int e) { return std::strerror(e); }

// The entries of the open directory `dirfd` with their lstat modes; best
// effort (empty when it cannot be listed), for clean-up code.
std::vector<std::pair<std::string, unsigned>> entries(int dirfd) {
  std::vector<std::pair<std::string, unsigned>> out;
  std::vector<std::string> names;
  try {
    names = list_directory(dirfd, "a directory");
  } catch (const Error &) {
    return out;
  }
  for (auto &name : names) {
    struct stat st;
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) out.emplace_back(std::move(name), st.st_mode);
  }
  return out;
}

}  // namespace

bool still_named(int dirfd, const std::string &name, int fd) {
  struct stat a, b;
  return ::fstat(fd, &a) == 0 && a.st_nlink > 0 && ::fstatat(dirfd, name.c_str(), &b, AT_SYMLINK_NOFOLLOW) == 0 &&
         a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

std::vector<std::string> list_directory(int dirfd, const std::string &display) {
  int dup = ::dup(dirfd);
  DIR *d = dup >= 0 ? ::fdopendir(dup) : nullptr;
  if (d == nullptr) {
    int e = errno;
    if (dup >= 0) ::close(dup);
    fail(QEFF_E_IO, "cannot list " + quote(display) + ": " + errno_text(e));
  }
  ::rewinddir(d);
  std::vector<std::string> out;
  while (struct dirent *e = ::readdir(d))
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) out.emplace_back(e->d_name);
  ::closedir(d);
  return out;
}

void write_all(int fd, const void *data, size_t size, const std::string &path) {
  // At most 32 MiB per write(2), so a cancelled call stops within one slice.
  constexpr size_t kSlice = size_t{32} << 20;
  const char *p = static_cast<const char *>(data);
  while (size > 0) {
    if (size > kSlice) cancellation_point("writing " + quote(path));
    ssize_t n = ::write(fd, p, std::min(size, kSlice));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(QEFF_E_IO, "cannot write " + quote(path) + ": " + errno_text(n < 0 ? errno : EIO));
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void sync_fd(int fd, const std::string &path) {
  if (::fsync(fd) != 0) fail(QEFF_E_IO, "cannot sync " + quote(path) + ": " + errno_text(errno));
}

std::string random_hex(size_t digits) {
  static const char hex[] = "0123456789abcdef";
  std::random_device rd;
  std::string out;
  while (out.size() < digits) {
    unsigned v = rd();
    for (int i = 0; i < 8 && out.size() < digits; ++i, v >>= 4) out += hex[v & 15];
  }
  return out;
}

TempFiles::~TempFiles() {
  for (const auto &n : names_) ::unlinkat(dirfd_, n.c_str(), 0);
}

int TempFiles::create(std::string *name, const std::string &final_name) {
  const std::string what = final_name.empty() ? "a file in " + quote(dir_)
                                              : "a temporary file for " + quote(dir_ + "/" + final_name);
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string n = kTempFilePrefix + random_hex(16);
    int fd = ::openat(dirfd_, n.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd >= 0) {
      names_.push_back(n);
      *name = n;
      return fd;
    }
    if (errno != EEXIST) fail(QEFF_E_IO, "cannot create " + what + ": " + errno_text(errno));
  }
  fail(QEFF_E_IO, "cannot create " + what + " (16 names taken)");
}

void TempFiles::commit(const std::string &temp, const std::string &final_name) {
  if (::renameat(dirfd_, temp.c_str(), dirfd_, final_name.c_str()) != 0)
    fail(QEFF_E_IO, "cannot rename into " + quote(dir_ + "/" + final_name) + ": " + errno_text(errno));
  names_.erase(std::find(names_.begin(), names_.end(), temp));
}

void remove_stale_temp_files(int dirfd) {
  for (const auto &[name, mode] : entries(dirfd))
    if (name.rfind(kTempFilePrefix, 0) == 0 && S_ISREG(mode)) ::unlinkat(dirfd, name.c_str(), 0);
}

int open_dir_nofollow(int dirfd, const std::string &name) {
  return ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

bool remove_tree(int dirfd, const std::string &name, int max_depth) {
  if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return true;  // a file or a symlink
  if (errno != EISDIR || max_depth <= 0) return false;
  UniqueFd dir(open_dir_nofollow(dirfd, name));
  if (dir.fd < 0) return errno == ENOENT;
  bool ok = true;
  for (const auto &entry : entries(dir.fd)) ok = remove_tree(dir.fd, entry.first, max_depth - 1) && ok;
  if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) == 0 || errno == ENOENT) return ok;
  return false;
}

bool lock_exclusive(int fd, bool wait, const std::string &what) {
  for (;;) {
    if (::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) == 0) return true;
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK && !wait) return false;
    fail(QEFF_E_IO, "cannot lock " + quote(what) + ": " + errno_text(errno));
  }
}

TempDirectory::TempDirectory(int parent_fd, std::string parent, const std::string &prefix, unsigned mode, bool lock)
    : parent_fd_(parent_fd), parent_(std::move(parent)) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string n = prefix + random_hex(16);
    if (::mkdirat(parent_fd_, n.c_str(), static_cast<mode_t>(mode)) != 0) {
      if (errno == EEXIST) continue;
      fail(QEFF_E_IO, "cannot create a temporary directory in " + quote(parent_) + ": " + errno_text(errno));
    }
    UniqueFd f(open_dir_nofollow(parent_fd_, n));
    // Between mkdirat and flock a concurrent remove_stale_temp_dirs() may take
    // the new directory for a dead writer's: then the lock is busy, or the name
    // no longer refers to it, and we start again under a new name.
    if (f.fd >= 0 && (!lock || lock_exclusive(f.fd, false, parent_ + "/" + n)) && still_named(parent_fd_, n, f.fd)) {
      name_ = n;
      fd_ = f.release();
      return;
    }
  }
  fail(QEFF_E_IO, "cannot create a temporary directory in " + quote(parent_));
}

TempDirectory::~TempDirectory() {
  if (!released_) remove_tree(parent_fd_, name_);
  if (fd_ >= 0) ::close(fd_);
}

void remove_stale_temp_dirs(int parent_fd, const std::string &prefix) {
  for (const auto &[name, mode] : entries(parent_fd)) {
    if (name.rfind(prefix, 0) != 0 || !S_ISDIR(mode)) continue;
    UniqueFd f(open_dir_nofollow(parent_fd, name));
    if (f.fd < 0) continue;
    try {
      if (!lock_exclusive(f.fd, false, name)) continue;  // its writer is alive
    } catch (const Error &) {
      continue;
    }
    if (still_named(parent_fd, name, f.fd)) remove_tree(parent_fd, name);
  }
}

}  // namespace qeff
