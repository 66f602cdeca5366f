// SentencePiece's precompiled character map (the Precompiled normalizer of
// T5/XLM-R style tokenizer.json): a base64 blob holding a double-array trie
// from UTF-8 strings to offsets of NUL-terminated replacements. The blob is
// untrusted binary data: every trie index and string offset is bounds-checked
// (RELIABILITY B7.62), and a corrupt blob is QEFF_E_FORMAT.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qeff::tokenizer {

class PrecompiledCharsmap {
 public:
  // Parses decoded blob bytes; `where` names the field for errors.
  static PrecompiledCharsmap parse(std::string_view blob, const std::string &where);

  // Replacement of the shortest trie key that prefixes `chunk` (as the
  // spm_precompiled crate: results[0]), or nullopt.
  std::optional<std::string_view> transform(std::string_view chunk) const;

 private:
  std::vector<uint32_t> trie_;
  std::string normalized_;
};

// Standard base64 with padding; nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace qeff::tokenizer
