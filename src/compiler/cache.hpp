// The compile cache (docs/package.md, "Cache"): export and compile results
// kept under a cache root and found again by a key that hashes everything
// they depend on, so a second compile of the same inputs is a hit and any
// change (a weight file, an option, the library or package format version) is
// a miss. Entries are verified on every hit; a corrupted one is logged,
// removed and rebuilt. Concurrent builders of one key (threads or processes)
// build it once: the others wait on the key's lock and then hit.
//
//   <root>/entries/<key>/    a finished entry (a program package, an export)
//   <root>/locks/<key>.lock  flock'ed while the key is looked up or built
//   <root>/tmp/              builds in progress (removed when their builder dies)
//
// Keys are "<kind>-<32 hex digits>" (kind "program" or "export"), so entries
// describe themselves to `list()`. Nothing is written outside the root.
// A ProgramCache holds no state besides its root: one object may be used from
// many threads.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/package.hpp"

namespace qeff::compiler {

// The cache root from the environment: QEFF_HOME, else $XDG_CACHE_HOME/qeff,
// else $HOME/.cache/qeff. A variable that is unset, empty or not an absolute
// path is skipped. Throws QEFF_E_INVALID_ARGUMENT when none is usable.
std::string default_cache_root();

// XXH3-128 digest text of an ONNX model's content: the bytes of the .onnx
// file and the full contents of every external-data file it references
// (locations checked and opened as the importer does: beneath the model's
// directory, no symlinks), so a rewritten weight file changes the digest.
// Throws QEFF_E_INVALID_ARGUMENT, QEFF_E_NOT_FOUND, QEFF_E_IO, QEFF_E_FORMAT
// (not an ONNX protobuf, external data without a location), QEFF_E_LIMIT
// (a .onnx beyond protobuf's 2 GB), QEFF_E_SECURITY (unsafe location).
std::string digest_onnx_model(const std::string &model_path);

// The key of a cache entry: "<kind>-" + 32 hex digits of XXH3-128 over kind,
// library version (QEFF_VERSION_STRING), package format version, the source
// digest and the canonical option text (canonical_options_text() for
// programs). `kind` is "program" or "export" (else QEFF_E_INVALID_ARGUMENT).
std::string cache_key(std::string_view kind, std::string_view source_digest, std::string_view options_text);

struct CacheEntryInfo {
  std::string key;
  std::string kind;        // "program" or "export"
  std::string path;        // the entry directory
  uint64_t size_bytes = 0; // regular files in the entry
  int64_t last_use = 0;    // seconds since the epoch: built or last hit
};

class ProgramCache {
 public:
  using BuildFn = std::function<void(const std::string &tmp_dir)>;
  using VerifyFn = std::function<void(const std::string &entry_dir)>;

  // `root` "" means default_cache_root(); otherwise an absolute path
  // (QEFF_E_INVALID_ARGUMENT). Nothing is created until a build needs it.
  explicit ProgramCache(std::string root = {});
  const std::string &root() const { return root_; }

  // The entry directory of `key`. A hit is verified with `verify` (default
  // for "program" keys: read_package with digests; other kinds must pass one)
  // and its last-use time updated; a verify failure (any qeff::Error) is
  // logged, the entry removed and rebuilt. On a miss `build` fills `tmp_dir`
  // (an empty directory under the root; write_package(p, tmp_dir) works) and
  // the result is renamed into place. An exception from `build` propagates
  // and leaves nothing behind. The entry may be removed by clear() once this
  // returns: load it, or use get_or_compile(), which loads under the lock.
  // Throws QEFF_E_INVALID_ARGUMENT (bad key, no verify), QEFF_E_IO,
  // QEFF_E_SECURITY (a cache directory is a symlink), QEFF_E_INTERNAL (the
  // build left tmp_dir empty), and whatever `build` throws.
  std::string get_or_build(const std::string &key, const BuildFn &build, const VerifyFn &verify = {});

  // The program of a "program" key: loaded from the cache (digests verified),
  // or compiled by `compile`, written to the cache and loaded back (constants
  // then view the cached weights.bin). When the cache cannot be used at all
  // (root not creatable or writable) it warns and returns compile()'s result.
  // `accept`, when given, checks a cached program before it is used (the
  // runtime's plan validation: a build whose kernels need more workspace
  // than an older build planned); an Error from it makes the entry unusable:
  // logged, removed and rebuilt.
  Program get_or_compile(const std::string &key, const std::function<Program()> &compile,
                         const PackageReadOptions &read = {},
                         const std::function<void(const Program &)> &accept = {});

  // Finished entries, sorted by key. Entries being removed concurrently are
  // skipped. An absent root has no entries. Throws QEFF_E_IO.
  std::vector<CacheEntryInfo> list() const;
  // Removes one entry (waiting for its lock). Returns whether it existed.
  bool remove(const std::string &key);
  // Removes every entry, abandoned builds and unused lock files. Returns the
  // number of entries removed. Programs already loaded stay valid (their
  // weights are mapped).
  size_t clear();

 private:
  std::string locked_get(const std::string &key, const BuildFn &build, const VerifyFn &verify,
                         const std::function<void(const std::string &)> &on_built);
  std::string root_;
};

}  // namespace qeff::compiler
