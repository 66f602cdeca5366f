// Writing outputs so that nothing partial is ever visible at a final path
// (RELIABILITY.md A6.5, B9): new files and directories get random temporary
// names, are created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW, mkdirat) inside an
// already opened directory, filled, fsynced and renamed into place; symlinks
// are never followed; temporaries left by a crash are recognisable by their
// prefix and removed by the next writer. Used by ONNX export and by program
// packages and the compile cache.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace qeff {

// Writes all `size` bytes (retrying short writes and EINTR). Throws QEFF_E_IO
// naming `path` (EFBIG/ENOSPC included).
void write_all(int fd, const void *data, size_t size, const std::string &path);
// fsync; throws QEFF_E_IO naming `path`.
void sync_fd(int fd, const std::string &path);
// `digits` random lowercase hex digits (std::random_device).
std::string random_hex(size_t digits);

// Temp files are named ".qeff-tmp-<16 hex>".
inline constexpr const char *kTempFilePrefix = ".qeff-tmp-";

// Temp files inside one directory, unlinked on destruction unless committed.
class TempFiles {
 public:
  // `dirfd` stays owned by the caller and must outlive this object; `dir` is
  // its display path for messages.
  TempFiles(int dirfd, std::string dir) : dirfd_(dirfd), dir_(std::move(dir)) {}
  ~TempFiles();
  TempFiles(const TempFiles &) = delete;
  TempFiles &operator=(const TempFiles &) = delete;
  // Creates a new temp file for writing (never following or reusing an
  // existing name); returns the descriptor, the name in *name. QEFF_E_IO
  // naming `final_name` (the file it will become) when given.
  int create(std::string *name, const std::string &final_name = {});
  // Renames temp file `temp` to `final_name` in the same directory (replacing
  // it, never following a symlink there). QEFF_E_IO.
  void commit(const std::string &temp, const std::string &final_name);

 private:
  int dirfd_;
  std::string dir_;
  std::vector<std::string> names_;
};

// Unlinks the regular files named kTempFilePrefix* in `dirfd` (left behind by
// an interrupted writer that held the directory's lock). Best effort.
void remove_stale_temp_files(int dirfd);

// Opens `name` inside `dirfd` as a directory without following a symlink
// there (O_DIRECTORY|O_NOFOLLOW). Returns -1 with errno set on failure.
int open_dir_nofollow(int dirfd, const std::string &name);

// Names in the open directory `dirfd` (without "." and ".."). Throws
// QEFF_E_IO naming `display`.
std::vector<std::string> list_directory(int dirfd, const std::string &display);

// Whether the open `fd` is still what `name` in `dirfd` refers to: not
// unlinked or replaced since it was opened (lock files that may be deleted
// are re-checked this way after locking).
bool still_named(int dirfd, const std::string &name, int fd);

// Removes `name` inside `dirfd` and, when it is a directory, everything
// beneath it, never following symlinks (a symlink is unlinked, not entered),
// at most `max_depth` levels deep. Best effort: returns false when something
// could not be removed (a vanished entry is not an error).
bool remove_tree(int dirfd, const std::string &name, int max_depth = 16);

// A new directory `prefix + 16 random hex digits` inside the open directory
// `parent_fd`, by default flocked (LOCK_EX) for the object's lifetime so that
// remove_stale_temp_dirs() can tell a live writer's directory from one left by
// a crash. Without `lock` the caller guarantees that staleness another way
// (and the directory's user may flock it itself, as ONNX export does). On
// destruction the tree at name() is removed unless release()d.
class TempDirectory {
 public:
  // `parent` is the display path of parent_fd (which must outlive this object).
  // Throws QEFF_E_IO.
  TempDirectory(int parent_fd, std::string parent, const std::string &prefix, unsigned mode = 0755, bool lock = true);
  ~TempDirectory();
  TempDirectory(const TempDirectory &) = delete;
  TempDirectory &operator=(const TempDirectory &) = delete;

  const std::string &name() const { return name_; }
  std::string path() const { return parent_ + "/" + name_; }
  int fd() const { return fd_; }
  // The directory was renamed away: nothing is removed on destruction.
  void release() { released_ = true; }

 private:
  int parent_fd_;
  std::string parent_, name_;
  int fd_ = -1;
  bool released_ = false;
};

// Removes every directory named `prefix`* in `parent_fd` whose flock can be
// taken (its writer is gone). Best effort.
void remove_stale_temp_dirs(int parent_fd, const std::string &prefix);

// flock(LOCK_EX) on `fd`, waiting when `wait` (retrying EINTR). Returns false
// when !wait and another holder has it; throws QEFF_E_IO on other failures.
bool lock_exclusive(int fd, bool wait, const std::string &what);

}  // namespace qeff
