#include "compiler/cache.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <sys/stat.h>
#include <unistd.h>

#include <google/protobuf/io/coded_stream.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <set>

#include "compiler/compile.hpp"
#include "common/atomic_write.hpp"
#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "kernels/gemm.hpp"
#include "onnx/external_data.hpp"
#include "onnx/import.hpp"

namespace qeff::compiler {
namespace {

constexpr const char *kKinds[] = {"program", "export"};
constexpr const char *kPackageTempPrefix = ".qeff-pkg-tmp-";  // write_package's, in <root>/tmp
constexpr mode_t kDirMode = 0700;  // entries are derived from the user's models

std::string errno_text(int e) { return std::strerror(e); }

// The kind of a well-formed key, or "" when `key` is not one.
std::string key_kind(const std::string &key) {
  for (const char *kind : kKinds) {
    size_t n = std::strlen(kind);
    if (key.size() != n + 1 + kDigestHexDigits || key.compare(0, n, kind) != 0 || key[n] != '-') continue;
    bool hex = std::all_of(key.begin() + static_cast<long>(n) + 1, key.end(),
                           [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
    if (hex) return kind;
  }
  return {};
}

std::string check_key(const std::string &key) {
  std::string kind = key_kind(key);
  if (kind.empty())
    fail(QEFF_E_INVALID_ARGUMENT, "cache key " + quote(key) + " is not of the form <program|export>-<32 hex digits>");
  return kind;
}

// Creates `path` and missing parents (mode 0700 for what is created).
void make_directories(const std::string &path) {
  for (size_t at = 1; at <= path.size(); ++at) {
    if (at != path.size() && path[at] != '/') continue;
    std::string prefix = path.substr(0, at);
    if (::mkdir(prefix.c_str(), kDirMode) != 0 && errno != EEXIST)
      fail(QEFF_E_IO, "cannot create the cache directory " + quote(prefix) + ": " + errno_text(errno));
  }
}

// A subdirectory of the root, never through a symlink.
int open_subdir(int root_fd, const std::string &root, const char *name, bool create) {
  if (create && ::mkdirat(root_fd, name, kDirMode) != 0 && errno != EEXIST)
    fail(QEFF_E_IO, "cannot create " + quote(root + "/" + name) + ": " + errno_text(errno));
  int fd = open_dir_nofollow(root_fd, name);
  if (fd >= 0) return fd;
  if (errno == ENOENT && !create) return -1;
  if (errno == ELOOP || errno == ENOTDIR)
    fail(QEFF_E_SECURITY, quote(root + "/" + name) + " is not a directory (a symlink?); the cache does not follow links");
  fail(QEFF_E_IO, "cannot open " + quote(root + "/" + name) + ": " + errno_text(errno));
}

// Sum of the sizes of the regular files beneath `fd` (no symlinks followed).
uint64_t tree_size(int fd, int depth) {
  uint64_t total = 0;
  std::vector<std::string> names;
  try {
    names = list_directory(fd, "a cache entry");
  } catch (const Error &) {
    return 0;
  }
  for (const auto &name : names) {
    struct stat st;
    if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISREG(st.st_mode)) total += static_cast<uint64_t>(st.st_size);
    if (S_ISDIR(st.st_mode) && depth > 0) {
      UniqueFd sub(open_dir_nofollow(fd, name));
      if (sub.fd >= 0) total += tree_size(sub.fd, depth - 1);
    }
  }
  return total;
}

// Every location of external data in `model` (initializers and tensor
// attributes of the main graph, the only places the importer reads).
std::set<std::string> external_locations(const onnx::ModelProto &model, const std::string &file) {
  std::set<std::string> out;
  auto add = [&](const onnx::TensorProto &t, const std::string &what) {
    if (t.data_location() != onnx::TensorProto::EXTERNAL) return;
    for (const auto &e : t.external_data())
      if (e.key() == "location") {
        onnx_io::detail::check_location(e.value(), what);
        out.insert(e.value());
        return;
      }
    fail(QEFF_E_FORMAT, what + ": external_data has no \"location\"");
  };
  for (const auto &t : model.graph().initializer()) add(t, quote(file) + ": initializer " + quote(t.name()));
  for (const auto &n : model.graph().node())
    for (const auto &a : n.attribute()) {
      std::string what = quote(file) + ": node " + quote(n.name()) + " attribute " + quote(a.name());
      if (a.has_t()) add(a.t(), what);
      for (const auto &t : a.tensors()) add(t, what);
    }
  return out;
}

}  // namespace

std::string default_cache_root() {
  struct Source {
    const char *var, *suffix;
  };
  for (const Source &s : {Source{"QEFF_HOME", ""}, Source{"XDG_CACHE_HOME", "/qeff"}, Source{"HOME", "/.cache/qeff"}}) {
    const char *v = std::getenv(s.var);
    if (v == nullptr || v[0] != '/') {
      if (v != nullptr && v[0] != '\0') log_debug(std::string(s.var) + " is not an absolute path; ignored for the cache");
      continue;
    }
    std::string root = v;
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    root += s.suffix;
    check_path_argument(root, "cache directory");
    return root;
  }
  fail(QEFF_E_INVALID_ARGUMENT,
       "no cache directory: QEFF_HOME, XDG_CACHE_HOME and HOME are unset or not absolute paths (set cache.dir)");
}

std::string digest_onnx_model(const std::string &model_path) {
  check_path_argument(model_path, "ONNX model path");
  size_t slash = model_path.rfind('/');
  std::string name = slash == std::string::npos ? model_path : model_path.substr(slash + 1);
  std::string parent = slash == std::string::npos ? "." : (slash == 0 ? "/" : model_path.substr(0, slash));
  if (name.empty() || name == "." || name == "..")
    fail(QEFF_E_FORMAT, quote(model_path) + " names a directory; expected an ONNX model file");
  std::string dir = canonical_directory(parent);
  FileRoot root(dir);
  std::string file = root.display(name);
  std::string bytes = root.read(name, INT_MAX, "protobuf's 2 GB limit");

  onnx::ModelProto model;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t *>(bytes.data()), static_cast<int>(bytes.size()));
  in.SetRecursionLimit(onnx_io::kProtoRecursionLimit);
  if (bytes.empty() || !model.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage())
    fail(QEFF_E_FORMAT, quote(file) + " is not a valid ONNX protobuf");

  Digest digest;
  digest.update_field("onnx");
  digest.update_field(bytes);
  UniqueFd dirfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dirfd.fd < 0) fail(QEFF_E_IO, "cannot open " + quote(dir) + ": " + errno_text(errno));
  for (const auto &location : external_locations(model, file)) {
    std::string path = dir + "/" + location;
    UniqueFd f(onnx_io::detail::open_beneath(dirfd.fd, location, path));
    struct stat st;
    if (::fstat(f.fd, &st) != 0) fail(QEFF_E_IO, "cannot stat " + quote(path) + ": " + errno_text(errno));
    if (!S_ISREG(st.st_mode))
      fail(QEFF_E_FORMAT, "external data " + quote(path) + " is " + file_kind(st.st_mode) + ", expected a regular file");
    // The size goes in first (as update_field does), so file boundaries are unambiguous.
    digest.update_field(location);
    uint64_t size = static_cast<uint64_t>(st.st_size);
    uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(size >> (8 * i));
    digest.update(len, sizeof len);
    if (digest_fd(f.fd, path, &digest) != size)
      fail(QEFF_E_IO, "external data " + quote(path) + " changed size while it was being read");
  }
  return digest.text();
}

std::string cache_key(std::string_view kind, std::string_view source_digest, std::string_view options_text) {
  if (kind != "program" && kind != "export")
    fail(QEFF_E_INVALID_ARGUMENT, "cache entry kind " + quote(kind) + " is not \"program\" or \"export\"");
  Digest d;
  d.update_field("qeff-cache-key");
  d.update_field(kind);
  d.update_field(QEFF_VERSION_STRING);
  d.update_field(std::to_string(kPackageFormatVersion));
  d.update_field("compiler-" + std::to_string(kCompilerRevision));
  // The packed weight layouts by name: a build whose layouts differ (a new
  // name for a changed layout) never reuses another build's programs.
  d.update_field(kernels::gemm_format_list());
  d.update_field(source_digest);
  d.update_field(options_text);
  return std::string(kind) + "-" + d.text().substr(kDigestPrefix.size());
}

namespace {

// The open cache directories (root, entries, locks, tmp).
struct CacheDirs {
  std::string root_path;
  UniqueFd root, entries, locks, tmp;
  std::string path(const char *sub, const std::string &name = {}) const {
    return root_path + "/" + sub + (name.empty() ? "" : "/" + name);
  }
};

// Opens the cache directories, creating them when `create`; without it,
// returns false when any is absent.
bool open_dirs(const std::string &root, bool create, CacheDirs *d) {
  d->root_path = root;
  if (create) make_directories(root);
  d->root.fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d->root.fd < 0) {
    if (errno == ENOENT && !create) return false;
    fail(QEFF_E_IO, "cannot open the cache directory " + quote(root) + ": " + errno_text(errno));
  }
  d->entries.fd = open_subdir(d->root.fd, root, "entries", create);
  d->locks.fd = open_subdir(d->root.fd, root, "locks", create);
  d->tmp.fd = open_subdir(d->root.fd, root, "tmp", create);
  return d->entries.fd >= 0 && d->locks.fd >= 0 && d->tmp.fd >= 0;
}

// Takes the key's lock, waiting for another holder. A lock file may be
// unlinked by remove() while we wait: then the lock we got is on a dead inode
// and we start again with the current file. Returns the locked descriptor.
int lock_key(const CacheDirs &d, const std::string &key) {
  std::string name = key + ".lock";
  std::string display = d.path("locks", name);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    UniqueFd f(::openat(d.locks.fd, name.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600));
    if (f.fd < 0) {
      if (errno == ELOOP) fail(QEFF_E_SECURITY, quote(display) + " is a symlink; the cache does not follow links");
      fail(QEFF_E_IO, "cannot open " + quote(display) + ": " + errno_text(errno));
    }
    struct stat st;
    if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode))
      fail(QEFF_E_SECURITY, quote(display) + " is not a regular file");
    lock_exclusive(f.fd, true, display);
    if (still_named(d.locks.fd, name, f.fd)) return f.release();
  }
  fail(QEFF_E_IO, "cannot lock " + quote(display) + ": the lock file keeps being replaced");
}

// Removes the entry of `key` (held locked): renamed into tmp first, so that a
// half-removed entry is never visible under its key.
void discard(const CacheDirs &d, const std::string &key) {
  std::string aside = key + "." + random_hex(16);
  if (::renameat(d.entries.fd, key.c_str(), d.tmp.fd, aside.c_str()) != 0) {
    if (errno == ENOENT) return;
    fail(QEFF_E_IO, "cannot remove the cache entry " + quote(d.path("entries", key)) + ": " + errno_text(errno));
  }
  if (!remove_tree(d.tmp.fd, aside))
    log_warn("could not fully remove " + quote(d.path("tmp", aside)) + "; clear the cache to retry");
}

// Removes builds of `key` abandoned by dead builders (we hold the key's lock,
// so no live builder of `key` exists).
void remove_abandoned(const CacheDirs &d, const std::string &key) {
  for (const auto &name : list_directory(d.tmp.fd, d.path("tmp")))
    if (name.size() > key.size() && name.compare(0, key.size(), key) == 0 && name[key.size()] == '.')
      remove_tree(d.tmp.fd, name);
}

}  // namespace

ProgramCache::ProgramCache(std::string root) : root_(std::move(root)) {
  if (root_.empty()) root_ = default_cache_root();
  check_path_argument(root_, "cache directory");
  if (root_.front() != '/')
    fail(QEFF_E_INVALID_ARGUMENT, "cache directory " + quote(root_) + " must be an absolute path");
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string ProgramCache::locked_get(const std::string &key, const BuildFn &build, const VerifyFn &verify,
                                     const std::function<void(const std::string &)> &on_built) {
  std::string kind = check_key(key);
  VerifyFn check = verify;
  if (!check) {
    if (kind != "program") fail(QEFF_E_INVALID_ARGUMENT, "cache key " + quote(key) + ": entries of kind " + kind + " need a verify function");
    check = [](const std::string &dir) { read_package(dir, PackageReadOptions{}); };
  }
  CacheDirs d;
  open_dirs(root_, true, &d);
  UniqueFd lock(lock_key(d, key));
  const std::string entry = d.path("entries", key);

  struct stat st;
  if (::fstatat(d.entries.fd, key.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    std::string problem;
    if (S_ISDIR(st.st_mode)) {
      try {
        check(entry);
        ::utimensat(d.entries.fd, key.c_str(), nullptr, AT_SYMLINK_NOFOLLOW);  // last use
        return entry;
      } catch (const Error &e) {
        problem = e.what();
      }
    } else {
      problem = "it is " + file_kind(st.st_mode) + ", not a directory";
    }
    log_warn("cache entry " + quote(entry) + " is unusable and is rebuilt: " + problem);
    discard(d, key);
  }

  remove_abandoned(d, key);
  // Not flocked: abandoned builds are recognised by the key lock instead, and
  // a builder may lock the directory itself (ONNX export does).
  TempDirectory tmp(d.tmp.fd, d.path("tmp"), key + ".", kDirMode, false);
  build(tmp.path());
  {
    // By name: the builder may have replaced the directory (write_package does).
    UniqueFd built(open_dir_nofollow(d.tmp.fd, tmp.name()));
    if (built.fd < 0 || list_directory(built.fd, tmp.path()).empty())
      fail(QEFF_E_INTERNAL, "the build of cache entry " + quote(key) + " left " + quote(tmp.path()) + " empty");
  }
  if (::renameat2(d.tmp.fd, tmp.name().c_str(), d.entries.fd, key.c_str(), RENAME_NOREPLACE) != 0)
    fail(QEFF_E_IO, "cannot move the new cache entry into " + quote(entry) + ": " + errno_text(errno));
  tmp.release();
  ::fsync(d.entries.fd);
  if (on_built) on_built(entry);
  return entry;
}

std::string ProgramCache::get_or_build(const std::string &key, const BuildFn &build, const VerifyFn &verify) {
  return locked_get(key, build, verify, {});
}

Program ProgramCache::get_or_compile(const std::string &key, const std::function<Program()> &compile,
                                     const PackageReadOptions &read, const std::function<void(const Program &)> &accept) {
  try {
    CacheDirs d;
    open_dirs(root_, true, &d);
  } catch (const Error &e) {
    if (e.status() != QEFF_E_IO && e.status() != QEFF_E_SECURITY) throw;
    log_warn(std::string("compiling without the cache: ") + e.what());
    return compile();
  }
  Program program;
  PackageReadOptions verified = read;
  verified.verify_digests = true;
  PackageReadOptions fresh = read;
  fresh.verify_digests = false;  // written by us a moment ago, under the same lock
  locked_get(
      key, [&](const std::string &tmp) { write_package(compile(), tmp); },
      [&](const std::string &dir) {
        program = read_package(dir, verified);
        if (accept) accept(program);
      },
      [&](const std::string &dir) { program = read_package(dir, fresh); });
  return program;
}

std::vector<CacheEntryInfo> ProgramCache::list() const {
  std::vector<CacheEntryInfo> out;
  CacheDirs d;
  if (!open_dirs(root_, false, &d)) return out;
  for (const auto &name : list_directory(d.entries.fd, d.path("entries"))) {
    std::string kind = key_kind(name);
    struct stat st;
    if (kind.empty() || ::fstatat(d.entries.fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
      continue;
    UniqueFd entry(open_dir_nofollow(d.entries.fd, name));
    if (entry.fd < 0) continue;  // removed meanwhile
    out.push_back({name, kind, d.path("entries", name), tree_size(entry.fd, 16), static_cast<int64_t>(st.st_mtime)});
  }
  std::sort(out.begin(), out.end(), [](const CacheEntryInfo &a, const CacheEntryInfo &b) { return a.key < b.key; });
  return out;
}

bool ProgramCache::remove(const std::string &key) {
  check_key(key);
  CacheDirs d;
  if (!open_dirs(root_, false, &d)) return false;
  UniqueFd lock(lock_key(d, key));
  struct stat st;
  bool existed = ::fstatat(d.entries.fd, key.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (existed) discard(d, key);
  remove_abandoned(d, key);
  // Unlinked while held: waiters notice (lock_key) and use a fresh file.
  ::unlinkat(d.locks.fd, (key + ".lock").c_str(), 0);
  return existed;
}

size_t ProgramCache::clear() {
  CacheDirs d;
  if (!open_dirs(root_, false, &d)) return 0;
  std::set<std::string> keys;
  for (const auto &name : list_directory(d.entries.fd, d.path("entries")))
    if (!key_kind(name).empty()) keys.insert(name);
  for (const auto &name : list_directory(d.locks.fd, d.path("locks")))
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".lock") == 0 && !key_kind(name.substr(0, name.size() - 5)).empty())
      keys.insert(name.substr(0, name.size() - 5));
  for (const auto &name : list_directory(d.tmp.fd, d.path("tmp"))) {
    size_t dot = name.find('.');
    if (dot != std::string::npos && !key_kind(name.substr(0, dot)).empty()) keys.insert(name.substr(0, dot));
  }
  size_t removed = 0;
  for (const auto &key : keys) removed += remove(key) ? 1 : 0;
  remove_stale_temp_dirs(d.tmp.fd, kPackageTempPrefix);
  return removed;
}

}  // namespace qeff::compiler
