// Shared helpers of the tokenizer tests: where the data lives, reading the
// corpus and the HuggingFace references, loading a tokenizer directory.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "common/files.hpp"
#include "common/json.hpp"
#include "tokenizer/tokenizer.hpp"

namespace tokenizer_test {

// tests/tokenizer (QEFF_TOKENIZER_TESTS, else next to this file).
inline std::string tests_dir() {
  if (const char *e = std::getenv("QEFF_TOKENIZER_TESTS")) return e;
  return (std::filesystem::path(__FILE__).parent_path().parent_path() / "tokenizer").string();
}

// ../shared/data (QEFF_SHARED_DATA), or "" when absent.
inline std::string shared_data() {
  std::string d;
  if (const char *e = std::getenv("QEFF_SHARED_DATA")) d = e;
  else d = (std::filesystem::path(__FILE__).parent_path() / "../../../shared/data").string();
  return std::filesystem::is_directory(d + "/tokenizers") ? d : "";
}

inline std::string read_file(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// A fresh directory under the temp directory, removed with its files when the
// object goes out of scope.
class TempDir {
 public:
  explicit TempDir(const std::string &tag)
      : path_((std::filesystem::temp_directory_path() / ("qeff_" + tag + "_" + std::to_string(::getpid())))
                  .string()) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const std::string &path() const { return path_; }
  std::string file(const std::string &name) const { return path_ + "/" + name; }
  void write(const std::string &name, const std::string &bytes) const {
    std::ofstream(file(name), std::ios::binary | std::ios::trunc) << bytes;
  }

 private:
  std::string path_;
};

inline qeff::JsonDocument parse(const std::string &text, const std::string &name) {
  return qeff::JsonDocument::parse(text, qeff::JsonOrigin{name, QEFF_E_FORMAT},
                                   qeff::JsonLimits{256u << 20, 64}, false);
}

inline std::shared_ptr<const qeff::tokenizer::Tokenizer> load_dir(const std::string &dir) {
  qeff::FileRoot root(qeff::canonical_directory(dir));
  return qeff::tokenizer::Tokenizer::load(root);
}

struct LargeSpec {
  uint64_t seed;
  size_t bytes;
  std::vector<std::string> alphabet;
  std::string name;  // long inputs only
};

// The generator of make_reference.py (64-bit LCG), bit for bit.
inline std::string generate(const LargeSpec &s) {
  uint64_t x = s.seed;
  std::string out;
  while (out.size() < s.bytes) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    out += s.alphabet[(x >> 33) % s.alphabet.size()];
  }
  return out;
}

// 64-bit FNV-1a as make_reference.py computes it: over the ids (4 bytes
// each, little-endian) or over the bytes of a text.
inline std::string fnv1a_hex(uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

inline std::string fnv1a(const std::vector<uint32_t> &ids) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint32_t id : ids)
    for (int k = 0; k < 4; ++k) {
      h ^= (id >> (8 * k)) & 0xFF;
      h *= 0x100000001b3ull;
    }
  return fnv1a_hex(h);
}

inline std::string fnv1a(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return fnv1a_hex(h);
}

// A string of the reference files: JSON text, or {"hex": "..."} for text
// holding NUL (cJSON strings end at NUL).
inline std::string stored_text(const qeff::JsonView &s) {
  if (s.is_string()) return s.as_string();
  std::string hex = s.get("hex").as_string(), bytes;
  for (size_t k = 0; k + 1 < hex.size(); k += 2)
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(k, 2), nullptr, 16)));
  return bytes;
}

struct Corpus {
  std::vector<std::string> strings;
  std::vector<LargeSpec> large;
  std::vector<LargeSpec> long_inputs;  // the 1 MB inputs of reference/long_inputs.json (B8.68)
};

inline std::vector<LargeSpec> large_specs(const qeff::JsonView &list) {
  std::vector<LargeSpec> out;
  for (size_t i = 0; i < list.size(); ++i) {
    qeff::JsonView l = list.at(i);
    out.push_back({static_cast<uint64_t>(l.get("seed").as_int()), static_cast<size_t>(l.get("bytes").as_int()),
                   l.get("alphabet").as_string_list(), l.opt_string("name").value_or("")});
  }
  return out;
}

inline Corpus load_corpus() {
  Corpus c;
  qeff::JsonDocument doc = parse(read_file(tests_dir() + "/corpus.json"), "corpus.json");
  // Strings holding NUL are stored as {"hex": "..."} (cJSON strings end at NUL).
  qeff::JsonView strings = doc.root().get("strings");
  for (size_t i = 0; i < strings.size(); ++i) c.strings.push_back(stored_text(strings.at(i)));
  c.large = large_specs(doc.root().get("large"));
  c.long_inputs = large_specs(doc.root().get("long"));
  return c;
}

// The directory of a test tokenizer: tests/tokenizer/generated/<name>,
// tests/fixtures/models/<name> or ../shared/data/tokenizers/<name> ("" when
// the shared data is absent).
inline std::string tokenizer_dir(const std::string &name, const std::string &where) {
  if (where == "generated") return tests_dir() + "/generated/" + name;
  if (where == "fixtures") return tests_dir() + "/../fixtures/models/" + name;
  std::string d = shared_data();
  return d.empty() ? "" : d + "/tokenizers/" + name;
}

inline std::vector<uint32_t> to_u32(const std::vector<int64_t> &v) {
  return std::vector<uint32_t>(v.begin(), v.end());
}

}  // namespace tokenizer_test
