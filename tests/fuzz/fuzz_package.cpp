// Program package manifest and plan (compiler/package_*.cpp), in memory: the
// input is manifest.json, two NUL bytes, plan.json (NUL never occurs in valid
// JSON). It goes through what read_package does after the file checks:
// read_manifest_head, read_manifest_body, read_plans, check_layout against a
// weights.bin of the size the manifest lists (at most 1 MiB, zero-filled),
// check_program; then the runtime's own load (Executable::load), which
// re-infers every step of every plan.
//
// Invariants: every failure is QEFF_E_FORMAT / QEFF_E_UNSUPPORTED /
// QEFF_E_LIMIT (JSON caps) / QEFF_E_NOT_FOUND naming manifest.json or
// plan.json (the runtime may also say QEFF_E_MISMATCH or
// QEFF_E_INVALID_ARGUMENT). A package that passes check_program has one layout
// entry per constant, each 64-byte aligned, inside weights.bin, holding
// byte_size(type) bytes, non-empty ones not overlapping; every step's value ids
// and every plan input/output id are -1 or index a value of that plan; rank
// <= max_rank.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "compiler/package.hpp"
#include "compiler/package_format.hpp"
#include "compiler/program.hpp"
#include "fuzz_common.hpp"
#include "runtime/executable.hpp"

namespace pd = qeff::compiler::package_detail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view in(reinterpret_cast<const char *>(data), data != nullptr ? size : 0);
  std::string_view manifest_text, plan_text;
  qeff_fuzz::split2(in, std::string_view("\0\0", 2), &manifest_text, &plan_text);
  const std::string mname = "\"pkg/manifest.json\"", pname = "\"pkg/plan.json\"";
  const uint64_t max_rank = 8;
  qeff::JsonLimits jl;
  jl.max_bytes = 1 << 20;

  auto p = std::make_shared<qeff::compiler::Program>();
  std::vector<pd::ConstantLayout> layout;
  pd::ManifestHead head;
  bool ok = qeff_fuzz::run_checked(
      "manifest", {QEFF_E_FORMAT, QEFF_E_UNSUPPORTED, QEFF_E_LIMIT},
      [&] {
        qeff::JsonDocument m = qeff::JsonDocument::parse(manifest_text, {mname, QEFF_E_FORMAT, "key"}, jl);
        head = pd::read_manifest_head(m.root());
        pd::read_manifest_body(m.root(), max_rank, p.get(), &layout);
      },
      "manifest.json");
  if (!ok) return 0;
  FUZZ_CHECK(layout.size() == p->constants.size(), "%zu layout entries for %zu constants", layout.size(),
             p->constants.size());
  ok = qeff_fuzz::run_checked(
      "plan", {QEFF_E_FORMAT, QEFF_E_UNSUPPORTED, QEFF_E_LIMIT},
      [&] {
        qeff::JsonDocument d = qeff::JsonDocument::parse(plan_text, {pname, QEFF_E_FORMAT, "key"}, jl);
        pd::read_plans(d.root(), max_rank, p.get());
      },
      "plan.json");
  if (!ok) return 0;

  auto it = head.files.find(qeff::compiler::kWeightsFile);
  uint64_t wsize = it != head.files.end() ? std::min<uint64_t>(it->second.size, 1 << 20) : 0;
  auto weights = std::make_shared<std::vector<uint8_t>>(wsize, 0);
  ok = qeff_fuzz::run_checked(
      "check_layout", {QEFF_E_FORMAT},
      [&] { pd::check_layout(*p, layout, wsize, mname, "\"pkg/weights.bin\""); }, "manifest.json");
  if (!ok) return 0;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (size_t i = 0; i < layout.size(); ++i) {
    const auto &c = layout[i];
    FUZZ_CHECK(c.offset % qeff::compiler::kWeightAlignment == 0, "constant %zu misaligned", i);
    FUZZ_CHECK(c.offset <= wsize && c.length <= wsize - c.offset, "constant %zu outside weights.bin", i);
    auto tb = qeff::graph::byte_size(p->constants[i].type);
    FUZZ_CHECK(!tb || *tb == c.length, "constant %zu length %llu != type bytes", i, (unsigned long long)c.length);
    if (c.length > 0) ranges.emplace_back(c.offset, c.length);
    p->constants[i].data = qeff::graph::WeightData::view(weights->data() + c.offset, c.length, weights,
                                                         "pkg/weights.bin", c.offset);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    FUZZ_CHECK(ranges[i - 1].first + ranges[i - 1].second <= ranges[i].first, "constants overlap");

  ok = qeff_fuzz::run_checked(
      "check_program", {QEFF_E_FORMAT},
      [&] { pd::check_program(*p, {QEFF_E_FORMAT, mname, pname, max_rank, false}); });
  if (!ok) return 0;
  for (const auto &plan : p->plans) {
    const int64_t nv = static_cast<int64_t>(plan.values.size());
    auto valid = [&](int32_t id) { return id == -1 || (id >= 0 && id < nv); };
    for (const auto &s : plan.steps) {
      for (int32_t id : s.inputs) FUZZ_CHECK(valid(id), "step input id %d of %lld values", id, (long long)nv);
      for (int32_t id : s.outputs) FUZZ_CHECK(id >= 0 && id < nv, "step output id %d", id);
    }
    for (int32_t id : plan.inputs) FUZZ_CHECK(valid(id), "plan input id %d", id);
    for (int32_t id : plan.outputs) FUZZ_CHECK(valid(id), "plan output id %d", id);
    for (const auto &v : plan.values) FUZZ_CHECK(v.type.shape.size() <= max_rank, "rank above the cap");
  }
  // The runtime's own validation of the plans (as qeff_program_load does).
  qeff_fuzz::run_checked("Executable::load",
                         {QEFF_E_FORMAT, QEFF_E_UNSUPPORTED, QEFF_E_MISMATCH, QEFF_E_INVALID_ARGUMENT},
                         [&] { qeff::runtime::Executable::load(p); });
  return 0;
}
