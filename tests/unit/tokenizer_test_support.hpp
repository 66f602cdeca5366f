// Shared helpers of the tokenizer tests: where the data lives, reading the
// corpus and the HuggingFace references, loading a tokenizer directory.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

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

inline std::string fnv1a(const std::vector<uint32_t> &ids) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint32_t id : ids)
    for (int k = 0; k < 4; ++k) {
      h ^= (id >> (8 * k)) & 0xFF;
      h *= 0x100000001b3ull;
    }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
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
};

inline Corpus load_corpus() {
  Corpus c;
  qeff::JsonDocument doc = parse(read_file(tests_dir() + "/corpus.json"), "corpus.json");
  // Strings holding NUL are stored as {"hex": "..."} (cJSON strings end at NUL).
  qeff::JsonView strings = doc.root().get("strings");
  for (size_t i = 0; i < strings.size(); ++i) c.strings.push_back(stored_text(strings.at(i)));
  qeff::JsonView large = doc.root().get("large");
  for (size_t i = 0; i < large.size(); ++i) {
    qeff::JsonView l = large.at(i);
    c.large.push_back({static_cast<uint64_t>(l.get("seed").as_int()), static_cast<size_t>(l.get("bytes").as_int()),
                       l.get("alphabet").as_string_list()});
  }
  return c;
}

inline std::vector<uint32_t> to_u32(const std::vector<int64_t> &v) {
  return std::vector<uint32_t>(v.begin(), v.end());
}

}  // namespace tokenizer_test
