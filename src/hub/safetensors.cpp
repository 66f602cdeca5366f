#include "hub/safetensors.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "common/checked.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/dtype.hpp"

namespace qeff::hub {
std::string shape_text(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

namespace {

std::string range_text(uint64_t b, uint64_t e) {
  return "[" + std::to_string(b) + ", " + std::to_string(e) + ")";
}

void read_metadata(const JsonView &v, std::map<std::string, std::string> &out) {
  if (!v.is_object()) v.type_error("an object of string values");
  for (const auto &k : v.keys()) {
    JsonView item = v.get(k);
    if (!item.is_string()) item.type_error("a string (metadata values are strings)");
    out[k] = item.as_string();
  }
  auto format = out.find("format");
  if (format != out.end() && format->second != "pt" && format->second != "mlx")
    fail(QEFF_E_UNSUPPORTED, v.origin().name + ": __metadata__.format " + quote(format->second) +
                                 " is not supported (only \"pt\" and \"mlx\" layouts)");
}

}  // namespace

SafetensorsHeader parse_safetensors(const uint8_t *data, uint64_t size, const std::string &origin,
                                    const HubLimits &limits) {
  if (size < 8)
    fail(QEFF_E_FORMAT, origin + ": header too small: the file is " + std::to_string(size) +
                            " bytes, a safetensors file starts with an 8-byte header length");
  uint8_t le[8];
  std::memcpy(le, data, 8);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | le[i];
  if (n > limits.safetensors_header_bytes)
    fail(QEFF_E_LIMIT, origin + ": header length " + std::to_string(n) +
                           " exceeds limits.safetensors_header_bytes = " +
                           std::to_string(limits.safetensors_header_bytes));
  if (n > size - 8)
    fail(QEFF_E_FORMAT, origin + ": header length " + std::to_string(n) + " exceeds the " +
                            std::to_string(size - 8) + " bytes that follow it");
  if (n < 2) fail(QEFF_E_FORMAT, origin + ": header length " + std::to_string(n) + " is too small");

  std::string_view text(reinterpret_cast<const char *>(data) + 8, static_cast<size_t>(n));
  JsonOrigin jo{origin + " (safetensors header)", QEFF_E_FORMAT, "tensor name"};
  JsonLimits jl = limits.json;
  jl.max_bytes = limits.safetensors_header_bytes;
  JsonDocument doc = JsonDocument::parse(text, jo, jl);
  JsonView root = doc.root();

  SafetensorsHeader h;
  h.data_offset = 8 + n;
  const uint64_t data_len = size - h.data_offset;
  // Every entry but "__metadata__" is a tensor.
  const uint64_t tensor_entries = root.size() - (root.get("__metadata__").raw() != nullptr ? 1 : 0);
  if (tensor_entries > limits.tensor_count)
    fail(QEFF_E_LIMIT, origin + ": " + std::to_string(tensor_entries) +
                           " tensors exceed limits.tensor_count = " +
                           std::to_string(limits.tensor_count));

  std::vector<uint64_t> ends;
  for (const auto &key : root.keys()) {
    JsonView entry = root.get(key);
    if (key == "__metadata__") {
      read_metadata(entry, h.metadata);
      continue;
    }
    if (!entry.is_object()) entry.type_error("an object {dtype, shape, data_offsets}");
    TensorView t;
    t.name = key;
    JsonView dt = entry.get("dtype");
    if (!dt.is_string()) dt.type_error("a dtype string");
    std::string dname = dt.as_string();
    auto dtype = dtype_from_name(dname);
    if (!dtype || *dtype == QEFF_DTYPE_U4)  // U4 is a compiled storage, not a safetensors dtype
      dt.fail_here(QEFF_E_FORMAT, "has unknown dtype " + quote(dname) +
                                      " (known: BOOL, U8, I8, I16, U16, I32, U32, I64, U64, F16, "
                                      "BF16, F32, F64, F8_E4M3, F8_E5M2, F8_E8M0, F6_E2M3, "
                                      "F6_E3M2, F4, C64)");
    t.dtype = *dtype;

    JsonView shape = entry.get("shape");
    if (!shape.is_array()) shape.type_error("an array of non-negative integers");
    if (shape.size() > limits.tensor_rank)
      shape.fail_here(QEFF_E_FORMAT, "has rank " + std::to_string(shape.size()) +
                                         ", above limits.tensor_rank = " +
                                         std::to_string(limits.tensor_rank));
    t.shape = shape.as_int_list(0, INT64_MAX);
    uint64_t numel = 1;
    for (int64_t d : t.shape) {
      auto m = checked_mul<uint64_t>(numel, static_cast<uint64_t>(d));
      if (!m || *m > static_cast<uint64_t>(INT64_MAX))
        shape.fail_here(QEFF_E_FORMAT, shape_text(t.shape) + " has more elements than fit in 64 bits");
      numel = *m;
    }
    t.numel = numel;
    auto bits = checked_mul<uint64_t>(numel, dtype_bits(t.dtype));
    if (!bits) shape.fail_here(QEFF_E_FORMAT, shape_text(t.shape) + " overflows its byte size");
    if (*bits % 8 != 0)
      shape.fail_here(QEFF_E_FORMAT, shape_text(t.shape) + " of " + dname +
                                         " is not a whole number of bytes (misaligned)");
    t.nbytes = *bits / 8;

    JsonView offs = entry.get("data_offsets");
    if (!offs.is_array() || offs.size() != 2) offs.type_error("an array of 2 integers [begin, end]");
    std::vector<int64_t> be = offs.as_int_list(0, INT64_MAX);
    uint64_t b = static_cast<uint64_t>(be[0]), e = static_cast<uint64_t>(be[1]);
    if (e < b) offs.fail_here(QEFF_E_FORMAT, range_text(b, e) + " ends before it begins");
    if (e - b != t.nbytes)
      offs.fail_here(QEFF_E_FORMAT, "invalid info: " + range_text(b, e) + " holds " +
                                        std::to_string(e - b) + " bytes but " + dname + " " +
                                        shape_text(t.shape) + " needs " + std::to_string(t.nbytes));
    h.tensors.push_back(std::move(t));
    h.offsets.push_back(b);
    ends.push_back(e);
  }

  // Coverage: sorted by (begin, end), the ranges must tile [0, data_len) exactly.
  std::vector<size_t> order(h.tensors.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return h.offsets[a] != h.offsets[b] ? h.offsets[a] < h.offsets[b] : ends[a] < ends[b];
  });
  uint64_t expected = 0;
  const std::string *prev = nullptr;
  for (size_t i : order) {
    const std::string &name = h.tensors[i].name;
    if (h.offsets[i] > expected)
      fail(QEFF_E_FORMAT, origin + ": gap before tensor " + quote(name) + ": data bytes " +
                              range_text(expected, h.offsets[i]) + " belong to no tensor");
    if (h.offsets[i] < expected)
      fail(QEFF_E_FORMAT, origin + ": tensor " + quote(name) + " at " +
                              range_text(h.offsets[i], ends[i]) + " overlaps tensor " +
                              quote(prev != nullptr ? *prev : std::string()));
    expected = ends[i];
    prev = &name;
  }
  if (expected < data_len)
    fail(QEFF_E_FORMAT, origin + ": " + std::to_string(data_len - expected) +
                            " extra bytes after the last tensor (the data section is " +
                            std::to_string(data_len) + " bytes, tensors cover " +
                            std::to_string(expected) + ")");
  if (expected > data_len)
    fail(QEFF_E_FORMAT, origin + ": incomplete file: tensors need " + std::to_string(expected) +
                            " data bytes but only " + std::to_string(data_len) + " are present");

  std::vector<TensorView> sorted;
  std::vector<uint64_t> offsets;
  for (size_t i : order) {
    sorted.push_back(std::move(h.tensors[i]));
    offsets.push_back(h.offsets[i]);
  }
  h.tensors = std::move(sorted);
  h.offsets = std::move(offsets);
  return h;
}

SafetensorsFile SafetensorsFile::open(MappedFile file, const HubLimits &limits) {
  SafetensorsFile f;
  f.path_ = std::make_unique<std::string>(file.path());
  SafetensorsHeader h = parse_safetensors(file.data(), file.size(), *f.path_, limits);
  f.file_ = std::move(file);
  f.metadata_ = std::move(h.metadata);
  f.tensors_ = std::move(h.tensors);
  for (size_t i = 0; i < f.tensors_.size(); ++i) {
    f.tensors_[i].data = f.file_.data() + h.data_offset + h.offsets[i];
    f.tensors_[i].file = f.path_.get();
  }
  std::sort(f.tensors_.begin(), f.tensors_.end(),
            [](const TensorView &a, const TensorView &b) { return a.name < b.name; });
  return f;
}

const TensorView *SafetensorsFile::find(const std::string &name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const TensorView &t, const std::string &n) { return t.name < n; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

}  // namespace qeff::hub
