// Program packages (docs/package.md): a compiler::Program stored as a
// directory, our counterpart of the Cloud AI 100's QPC. It loads in a fresh
// process without the ONNX file or the HF directory, checks its own integrity,
// and refuses packages of another format version with a clear message.
//
//   manifest.json         format "qeff-program" + format_version, library
//                         version, target, compiling ISA, source hash, compile
//                         options, I/O signature, retained-state pairs,
//                         metadata, the constants table (offsets in
//                         weights.bin), the size and XXH3-128 digest of every
//                         other file, and a digest of itself
//   plan.json             every Plan: values, steps (attributes with their exact
//                         variant types), bindings, arena sizes
//   weights.bin           all constants, each at a 64-byte aligned offset
//   specializations.json  QEfficient / qaic-compile style, informational
//
// Reading validates everything that a crafted or damaged package could use to
// make the runtime read out of bounds; op semantics are left to the runtime,
// which re-infers every step when it loads a plan.
#pragma once

#include <cstdint>
#include <string>

#include "common/json.hpp"
#include "compiler/program.hpp"

namespace qeff::compiler {

inline constexpr const char *kPackageFormat = "qeff-program";
// Bump on any change an older reader would misread; readers accept only
// their own version (QEFF_E_UNSUPPORTED naming both).
inline constexpr int64_t kPackageFormatVersion = 1;
inline constexpr uint64_t kWeightAlignment = 64;  // SIMD loads straight from the mapping

inline constexpr const char *kManifestFile = "manifest.json";
inline constexpr const char *kPlanFile = "plan.json";
inline constexpr const char *kWeightsFile = "weights.bin";
inline constexpr const char *kSpecializationsFile = "specializations.json";

struct PackageWriteOptions {
  // Replace an existing package at `dir` (atomically). An existing directory
  // that holds anything but a package (no manifest.json) is never replaced.
  bool overwrite = false;
};

struct PackageReadOptions {
  // Check the XXH3-128 digest of every file (sizes are always checked).
  bool verify_digests = true;
  // The target this caller can run; "" accepts any (e.g. to inspect a package).
  std::string target = "cpu";
  JsonLimits json;        // caps for manifest.json and plan.json
  uint64_t max_rank = 8;  // highest tensor rank accepted
};

// Writes `p` as a package at `dir`. The package is built in a temporary
// directory beside `dir` (named .qeff-pkg-tmp-*, in `dir`'s parent, which must
// exist) and renamed into place, so `dir` either does not change or holds the
// complete new package, also after a crash; temporaries of crashed writers are
// removed by the next write in that parent. An existing empty directory at
// `dir` is replaced; a non-empty one only with o.overwrite, and only when it
// is a package. `dir` itself must not be a symlink.
// Throws qeff::Error: QEFF_E_INVALID_ARGUMENT (bad path; `p` is inconsistent,
// e.g. a value id out of range or a name that is not UTF-8: the message names
// the field as the reader would), QEFF_E_NOT_FOUND (parent missing), QEFF_E_IO
// (exists, unwritable, disk full), QEFF_E_SECURITY (`dir` is a symlink).
void write_package(const Program &p, const std::string &dir, const PackageWriteOptions &o = {});

// Reads and validates the package at `dir`. Constants are views into one
// read-only mapping of weights.bin, kept alive by the views (zero copy); the
// result is independent of `dir` afterwards (the files may be removed).
// Throws qeff::Error naming the file, the field (e.g.
// plans[1].steps[7].inputs[2]) and the value: QEFF_E_NOT_FOUND (no directory or
// a file missing), QEFF_E_FORMAT (malformed, or "tampered or truncated" when a
// size or digest differs), QEFF_E_UNSUPPORTED (another format version, another
// target), QEFF_E_LIMIT (JSON caps), QEFF_E_SECURITY (a symlink resolving
// outside `dir`), QEFF_E_IO.
Program read_package(const std::string &dir, const PackageReadOptions &o = {});

// The canonical text of compile options (compact JSON, symbols sorted): what
// the manifest records and what compile-cache keys hash.
std::string canonical_options_text(const CompileOptions &o);

}  // namespace qeff::compiler
