// A safetensors file through the file layer: the input is written to
// model.safetensors in a scratch directory, mapped with FileRoot::map and
// opened with SafetensorsFile::open (what model loading does).
//
// Invariants: a failure is QEFF_E_FORMAT / QEFF_E_LIMIT / QEFF_E_UNSUPPORTED
// naming the file. A success gives tensors sorted by name, with unique names,
// whose bytes [data, data + nbytes) lie inside the mapping, past the header,
// without overlapping each other; find() returns each of them and nothing for
// an absent name; the mapping is the whole file.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/files.hpp"
#include "fuzz_common.hpp"
#include "hub/limits.hpp"
#include "hub/safetensors.hpp"

namespace {
qeff_fuzz::ScratchDir *scratch;
}

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  static qeff_fuzz::ScratchDir dir;  // removed at exit
  scratch = &dir;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (scratch == nullptr) LLVMFuzzerInitialize(nullptr, nullptr);
  const std::string name = "model.safetensors";
  qeff_fuzz::write_file(scratch->file(name),
                        std::string_view(reinterpret_cast<const char *>(data), data != nullptr ? size : 0));
  qeff::FileRoot root(scratch->path());
  qeff::hub::HubLimits limits;
  std::optional<qeff::hub::SafetensorsFile> f;
  bool ok = qeff_fuzz::run_checked(
      "SafetensorsFile::open", {QEFF_E_FORMAT, QEFF_E_LIMIT, QEFF_E_UNSUPPORTED},
      [&] { f.emplace(qeff::hub::SafetensorsFile::open(root.map(name), limits)); }, name);
  if (!ok) return 0;

  const auto &m = f->mapping();
  FUZZ_CHECK(m.size() == size, "mapping of %llu bytes for a file of %zu", (unsigned long long)m.size(), size);
  const uint8_t *begin = m.data(), *end = m.data() + m.size();
  std::vector<std::pair<const uint8_t *, uint64_t>> ranges;
  const auto &ts = f->tensors();
  for (size_t i = 0; i < ts.size(); ++i) {
    const auto &t = ts[i];
    if (i > 0) FUZZ_CHECK(ts[i - 1].name < t.name, "tensors not sorted by unique name");
    FUZZ_CHECK(t.file != nullptr && *t.file == f->path(), "tensor %s does not name its file", t.name.c_str());
    if (t.nbytes > 0) {
      FUZZ_CHECK(t.data != nullptr && t.data >= begin + 8 && t.data <= end &&
                     t.nbytes <= static_cast<uint64_t>(end - t.data),
                 "tensor %s [%p, +%llu) outside the mapping [%p, %p)", t.name.c_str(),
                 static_cast<const void *>(t.data), (unsigned long long)t.nbytes, static_cast<const void *>(begin),
                 static_cast<const void *>(end));
      // Read it the way kernels must (memcpy, no aligned loads): touches every byte.
      uint8_t sink = 0;
      for (uint64_t k = 0; k < t.nbytes; k += 4096) sink ^= t.data[k];
      sink ^= t.data[t.nbytes - 1];
      (void)sink;
      ranges.emplace_back(t.data, t.nbytes);
    }
    FUZZ_CHECK(f->find(t.name) == &t, "find(%s) does not return the tensor", t.name.c_str());
  }
  FUZZ_CHECK(f->find("\x01 no such tensor") == nullptr, "find() of an absent name");
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    FUZZ_CHECK(ranges[i - 1].first + ranges[i - 1].second <= ranges[i].first, "tensor byte ranges overlap");
  return 0;
}
