#include "tokenizer/precompiled.hpp"

#include <cstring>

#include "common/error.hpp"
#include "common/utf8.hpp"

namespace qeff::tokenizer {

std::optional<std::string> base64_decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = text[i + static_cast<size_t>(k)];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        v[k] = 0;
        ++pad;
      } else {
        if (pad > 0) return std::nullopt;  // data after padding
        v[k] = value(c);
        if (v[k] < 0) return std::nullopt;
      }
    }
    uint32_t n = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12) |
                 (static_cast<uint32_t>(v[2]) << 6) | static_cast<uint32_t>(v[3]);
    out.push_back(static_cast<char>(n >> 16));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xFF));
  }
  return out;
}

PrecompiledCharsmap PrecompiledCharsmap::parse(std::string_view blob, const std::string &where) {
  if (blob.size() < 4) fail(QEFF_E_FORMAT, where + ": precompiled charsmap is shorter than 4 bytes");
  uint32_t trie_bytes;
  std::memcpy(&trie_bytes, blob.data(), 4);  // little-endian on every supported host
  if (trie_bytes > blob.size() - 4)
    fail(QEFF_E_FORMAT, where + ": precompiled charsmap trie size " + std::to_string(trie_bytes) +
                            " exceeds the blob (" + std::to_string(blob.size()) + " bytes)");
  PrecompiledCharsmap m;
  m.trie_.resize(trie_bytes / 4);
  if (!m.trie_.empty()) std::memcpy(m.trie_.data(), blob.data() + 4, m.trie_.size() * 4);
  m.normalized_.assign(blob.substr(4 + m.trie_.size() * 4));
  if (!utf8_valid(m.normalized_))
    fail(QEFF_E_FORMAT, where + ": precompiled charsmap replacement strings are not valid UTF-8");
  if (m.trie_.empty()) fail(QEFF_E_FORMAT, where + ": precompiled charsmap has an empty trie");
  return m;
}

std::optional<std::string_view> PrecompiledCharsmap::transform(std::string_view chunk) const {
  // darts-clone unit layout: bit 8 = has leaf, bits 0-7 (+ bit 31) = label,
  // offset = (unit >> 10) << ((unit & (1 << 9)) >> 6), value = low 31 bits.
  auto offset = [](uint32_t u) -> size_t { return static_cast<size_t>(u >> 10) << ((u & (1u << 9)) >> 6); };
  size_t pos = 0;
  uint32_t unit = trie_[0];
  pos ^= offset(unit);
  for (char ch : chunk) {
    auto c = static_cast<unsigned char>(ch);
    if (c == 0) break;
    pos ^= c;
    if (pos >= trie_.size()) return std::nullopt;
    unit = trie_[pos];
    if ((unit & ((1u << 31) | 0xFFu)) != c) return std::nullopt;
    pos ^= offset(unit);
    if ((unit >> 8) & 1u) {
      if (pos >= trie_.size()) return std::nullopt;
      size_t index = trie_[pos] & ((1u << 31) - 1);
      if (index > normalized_.size()) return std::nullopt;
      size_t end = normalized_.find('\0', index);
      if (end == std::string::npos) end = normalized_.size();
      std::string_view out(normalized_.data() + index, end - index);
      if (!utf8_valid(out)) return std::nullopt;  // an index into the middle of a sequence
      return out;
    }
  }
  return std::nullopt;
}

}  // namespace qeff::tokenizer
