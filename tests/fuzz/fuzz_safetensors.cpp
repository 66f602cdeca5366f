// safetensors header + whole-file validation (hub::parse_safetensors) on an
// in-memory image: the input is the complete file (u64 LE header length, JSON
// header, data section).
//
// Invariants (RELIABILITY.md B4): a failure is QEFF_E_FORMAT / QEFF_E_LIMIT /
// QEFF_E_UNSUPPORTED with a message naming the file. A success gives tensors
// sorted by offset that tile the data section exactly (contiguous from 0, no
// overlap, no gap, the last one ends at the end of the file), each with
// nbytes == numel * bits / 8, rank <= limits.tensor_rank, a known dtype, unique
// names (none "__metadata__"); data_offset == 8 + N lies inside the file.
#include <cstdint>
#include <set>
#include <string>

#include "common/dtype.hpp"
#include "fuzz_common.hpp"
#include "hub/limits.hpp"
#include "hub/safetensors.hpp"

namespace {

const char kOrigin[] = "fuzz.safetensors";

void check_header(const qeff::hub::SafetensorsHeader &h, uint64_t size, const qeff::hub::HubLimits &limits) {
  FUZZ_CHECK(h.data_offset >= 8 && h.data_offset <= size, "data_offset %llu outside a file of %llu bytes",
             (unsigned long long)h.data_offset, (unsigned long long)size);
  FUZZ_CHECK(h.tensors.size() == h.offsets.size(), "tensors/offsets size mismatch");
  FUZZ_CHECK(h.tensors.size() <= limits.tensor_count, "more tensors than the cap");
  const uint64_t data_len = size - h.data_offset;
  uint64_t expected = 0;
  std::set<std::string> names;
  for (size_t i = 0; i < h.tensors.size(); ++i) {
    const auto &t = h.tensors[i];
    FUZZ_CHECK(names.insert(t.name).second, "duplicate tensor name accepted: %s", t.name.c_str());
    FUZZ_CHECK(t.name != "__metadata__", "a tensor named __metadata__ accepted");
    FUZZ_CHECK(t.dtype != QEFF_DTYPE_UNKNOWN && qeff::dtype_bits(t.dtype) > 0, "unknown dtype accepted");
    FUZZ_CHECK(t.shape.size() <= limits.tensor_rank, "rank %zu above the cap", t.shape.size());
    qeff_fuzz::u128 numel = 1;
    for (int64_t d : t.shape) {
      FUZZ_CHECK(d >= 0, "negative dimension accepted");
      numel *= static_cast<uint64_t>(d);
      FUZZ_CHECK(numel <= static_cast<qeff_fuzz::u128>(INT64_MAX), "element count overflows");
    }
    FUZZ_CHECK(numel == t.numel, "numel %llu does not match the shape", (unsigned long long)t.numel);
    qeff_fuzz::u128 bits = numel * qeff::dtype_bits(t.dtype);
    FUZZ_CHECK(bits % 8 == 0 && bits / 8 == t.nbytes, "nbytes %llu != numel*bits/8 for %s",
               (unsigned long long)t.nbytes, t.name.c_str());
    FUZZ_CHECK(h.offsets[i] == expected, "tensor %s begins at %llu, expected %llu (gap/overlap accepted)",
               t.name.c_str(), (unsigned long long)h.offsets[i], (unsigned long long)expected);
    FUZZ_CHECK(t.nbytes <= data_len - h.offsets[i], "tensor %s runs past the data section", t.name.c_str());
    expected += t.nbytes;
  }
  FUZZ_CHECK(expected == data_len, "tensors cover %llu of %llu data bytes (extra/missing bytes accepted)",
             (unsigned long long)expected, (unsigned long long)data_len);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint8_t kEmpty[1] = {0};
  if (data == nullptr) data = kEmpty;
  // Two limit sets: the defaults, and small caps (so caps are exercised too).
  qeff::hub::HubLimits limits;
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) {
      limits.safetensors_header_bytes = 256;
      limits.tensor_count = 3;
      limits.tensor_rank = 2;
      limits.json.max_depth = 4;
    }
    qeff::hub::SafetensorsHeader h;
    bool ok = qeff_fuzz::run_checked(
        "parse_safetensors", {QEFF_E_FORMAT, QEFF_E_LIMIT, QEFF_E_UNSUPPORTED},
        [&] { h = qeff::hub::parse_safetensors(data, size, kOrigin, limits); }, kOrigin);
    if (ok) check_header(h, size, limits);
  }
  return 0;
}
