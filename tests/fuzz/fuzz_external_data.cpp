// ONNX external-data locations (onnx_io::detail::ExternalData, check_location,
// parse_decimal), resolved for real in a scratch model directory with
// symlinks, a hard link, a FIFO, a directory and a file outside
// (onnx_scratch.hpp).
//
// Input: up to 8 lines, one tensor each: `location|offset|length|nbytes[|key=value]`
// ("~" leaves a key out; nbytes is decimal, capped at 1 MiB; the optional
// fifth field adds one more external_data entry, e.g. a duplicate "location"
// or an unknown key). All tensors go through one ExternalData (shared mapping
// cache and the max_external_bytes cap of 64 KiB).
//
// Invariants (RELIABILITY.md B10 91/93): parse_decimal accepts exactly the
// non-empty decimal digit strings with a value below 2^64 (leading zeros
// too) and returns that value. A failure is QEFF_E_FORMAT / QEFF_E_SECURITY /
// QEFF_E_NOT_FOUND / QEFF_E_LIMIT / QEFF_E_IO with a message naming the
// tensor. A success needs a safe location (relative; no "..", "." or empty
// components, backslash or NUL; valid UTF-8; no _ORT_MEM_ADDR_), returns
// exactly nbytes bytes equal to the file's bytes at the offset, from a regular
// file inside the model directory reached without symlinks and with a single
// link; the sum of all views stays within the cap.
#include <onnx/onnx_pb.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/utf8.hpp"
#include "fuzz_common.hpp"
#include "onnx/external_data.hpp"
#include "onnx_scratch.hpp"

namespace {

qeff_fuzz::ScratchDir *scratch;
std::string model_dir;

std::vector<std::string_view> split(std::string_view s, char sep, size_t max) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < max) {
    size_t at = s.find(sep);
    if (at == std::string_view::npos) break;
    out.push_back(s.substr(0, at));
    s.remove_prefix(at + 1);
  }
  out.push_back(s);
  return out;
}

void check_parse_decimal(std::string_view s) {
  auto v = qeff::onnx_io::detail::parse_decimal(s);
  bool digits = !s.empty();
  for (char c : s) digits = digits && c >= '0' && c <= '9';
  qeff_fuzz::u128 value = 0;  // saturates just above 2^64 (leading zeros are fine)
  if (digits)
    for (char c : s) value = std::min<qeff_fuzz::u128>(value * 10 + static_cast<unsigned>(c - '0'),
                                                       qeff_fuzz::u128(UINT64_MAX) + 1);
  bool fits = digits && value <= UINT64_MAX;
  FUZZ_CHECK(v.has_value() == fits, "parse_decimal(\"%.*s\") %s", static_cast<int>(s.size()), s.data(),
             v ? "accepted" : "refused");
  if (v) FUZZ_CHECK(*v == static_cast<uint64_t>(value), "parse_decimal value");
}

bool safe_location(std::string_view loc) {
  if (loc.empty() || loc.front() == '/' || loc.find('\\') != std::string_view::npos ||
      loc.find('\0') != std::string_view::npos || loc.find("_ORT_MEM_ADDR_") != std::string_view::npos ||
      !qeff::utf8_valid(loc))
    return false;
  for (auto part : split(loc, '/', SIZE_MAX))
    if (part.empty() || part == "." || part == "..") return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  static qeff_fuzz::ScratchDir dir;  // removed at exit
  scratch = &dir;
  model_dir = qeff_fuzz::make_onnx_dir(*scratch);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (scratch == nullptr) LLVMFuzzerInitialize(nullptr, nullptr);
  std::string_view in(reinterpret_cast<const char *>(data), data != nullptr ? size : 0);
  const uint64_t cap = 64 * 1024;
  qeff::onnx_io::detail::ExternalData ext(model_dir, cap);
  uint64_t total = 0;
  size_t index = 0;
  for (std::string_view line : split(in, '\n', 8)) {
    auto f = split(line, '|', 5);
    if (f.size() < 4) continue;
    const std::string what = "initializer \"t" + std::to_string(index++) + "\"";
    if (f[1] != "~") check_parse_decimal(f[1]);
    if (f[2] != "~") check_parse_decimal(f[2]);
    uint64_t nbytes = 0;
    for (char c : f[3].substr(0, 8))
      if (c >= '0' && c <= '9') nbytes = nbytes * 10 + static_cast<unsigned>(c - '0');
    nbytes = std::min<uint64_t>(nbytes, 1 << 20);

    onnx::TensorProto t;
    t.set_name(what);
    t.set_data_type(onnx::TensorProto::UINT8);
    t.add_dims(static_cast<int64_t>(nbytes));
    t.set_data_location(onnx::TensorProto::EXTERNAL);
    auto add = [&](std::string_view k, std::string_view v) {
      auto *e = t.add_external_data();
      e->set_key(std::string(k));
      e->set_value(std::string(v));
    };
    if (f[0] != "~") add("location", f[0]);
    if (f[1] != "~") add("offset", f[1]);
    if (f[2] != "~") add("length", f[2]);
    if (f.size() == 5) {
      auto kv = split(f[4], '=', 2);
      add(kv[0], kv.size() > 1 ? kv[1] : std::string_view());
    }

    qeff::graph::WeightData w;
    bool ok = qeff_fuzz::run_checked(
        "ExternalData::view",
        {QEFF_E_FORMAT, QEFF_E_SECURITY, QEFF_E_NOT_FOUND, QEFF_E_LIMIT, QEFF_E_IO},
        [&] { w = ext.view(t, nbytes, what); }, what);
    if (!ok) continue;
    // Which location won: the first "location" entry (a second one fails).
    std::string location = t.external_data(0).key() == "location" ? t.external_data(0).value() : std::string();
    for (const auto &e : t.external_data())
      if (e.key() == "location") {
        location = e.value();
        break;
      }
    FUZZ_CHECK(safe_location(location), "unsafe location accepted: %s", location.c_str());
    FUZZ_CHECK(w.size() == nbytes, "view of %llu bytes, wanted %llu", (unsigned long long)w.size(),
               (unsigned long long)nbytes);
    FUZZ_CHECK(w.file() == model_dir + "/" + location, "view names %s", w.file().c_str());
    struct stat st;
    FUZZ_CHECK(::lstat(w.file().c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1,
               "%s is not a regular single-link file", w.file().c_str());
    std::string canon = std::filesystem::canonical(w.file()).string();
    FUZZ_CHECK(canon == w.file(), "%s was reached through a symlink (%s)", w.file().c_str(), canon.c_str());
    std::string content = qeff_fuzz::read_file(w.file());
    FUZZ_CHECK(w.file_offset() <= content.size() && nbytes <= content.size() - w.file_offset() &&
                   (nbytes == 0 || std::memcmp(content.data() + w.file_offset(), w.data(), nbytes) == 0),
               "view bytes differ from %s at %llu", w.file().c_str(), (unsigned long long)w.file_offset());
    total += nbytes;
    FUZZ_CHECK(total <= cap, "external data total %llu above the cap", (unsigned long long)total);
  }
  // The checks on their own, on the whole input.
  check_parse_decimal(in.substr(0, 24));
  bool safe = qeff_fuzz::run_checked(
      "check_location", {QEFF_E_SECURITY}, [&] { qeff::onnx_io::detail::check_location(std::string(in), "fuzz"); });
  FUZZ_CHECK(safe == safe_location(in), "check_location(%s) %s", std::string(in).c_str(), safe ? "accepted" : "refused");
  return 0;
}
