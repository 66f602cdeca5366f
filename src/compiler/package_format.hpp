// Internals of program packages (package.hpp), shared by package.cpp (files,
// atomic writing, digests), package_json.cpp (JSON (de)serialization) and
// package_check.cpp (validation). Not used outside src/compiler/package*.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "compiler/package.hpp"

namespace qeff::compiler::package_detail {

// Where constant i lives in weights.bin.
struct ConstantLayout {
  uint64_t offset = 0;
  uint64_t length = 0;
};

struct FileEntry {
  uint64_t size = 0;
  std::string digest;
};

// The files a manifest lists (besides itself), in the order they are checked.
inline const char *const kListedFiles[] = {kPlanFile, kWeightsFile, kSpecializationsFile};
// Optional files (Program::assets): the tokenizer a program's runtime encodes
// text with, stored under the names a model directory uses.
inline const char *const kAssetFiles[] = {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                          "vocab.txt"};
bool is_asset_name(const std::string &name);

// Constants laid out back to back at kWeightAlignment; returns the total size
// of weights.bin. Throws QEFF_E_INVALID_ARGUMENT on overflow.
std::vector<ConstantLayout> layout_constants(const Program &p, uint64_t *total);

// --- writing (package_json.cpp) -------------------------------------------
// The manifest with "manifest_digest" set to kDigestPlaceholder; seal_manifest()
// puts the digest of that text in its place.
std::string manifest_text(const Program &p, const std::vector<ConstantLayout> &layout,
                          const std::map<std::string, FileEntry> &files, const std::string &isa);
std::string plan_text(const Program &p);
std::string specializations_text(const Program &p);
std::string seal_manifest(std::string text);
// The digest a manifest's text should carry: of the text with the digest
// value `claimed` (found by its last occurrence) replaced by the placeholder.
// Returns "" when `claimed` does not occur.
std::string manifest_self_digest(const std::string &text, const std::string &claimed);

// --- reading (package_json.cpp) -------------------------------------------
struct ManifestHead {
  std::string library_version;
  std::string isa;
  std::string manifest_digest;
  std::map<std::string, FileEntry> files;
};

// Checks format and format_version (QEFF_E_FORMAT / QEFF_E_UNSUPPORTED) and
// reads what must be known before the other files are opened.
ManifestHead read_manifest_head(const JsonView &root);
// Reads the program's manifest fields (everything but plans and constant
// bytes) and the constants' layout.
void read_manifest_body(const JsonView &root, uint64_t max_rank, Program *p, std::vector<ConstantLayout> *layout);
void read_plans(const JsonView &root, uint64_t max_rank, Program *p);

// --- validation (package_check.cpp) ---------------------------------------
struct CheckContext {
  qeff_status status;       // QEFF_E_FORMAT when reading, QEFF_E_INVALID_ARGUMENT when writing
  std::string manifest;     // how to name manifest.json in messages
  std::string plan;         // how to name plan.json in messages
  uint64_t max_rank = UINT64_MAX;
  bool writing = false;     // also check what the reader rebuilds (node value names)
};

// Every cross-reference and size in `p` (see package.hpp); the first
// violation throws ctx.status naming the file, the field path and the value.
void check_program(const Program &p, const CheckContext &ctx);
// The constants' placement in a weights.bin of `weights_size` bytes: aligned,
// inside the file, the right length, not overlapping. QEFF_E_FORMAT.
void check_layout(const Program &p, const std::vector<ConstantLayout> &layout, uint64_t weights_size,
                  const std::string &manifest, const std::string &weights);

}  // namespace qeff::compiler::package_detail
