// Code-point helpers for the tokenizer: UTF-8 stepping over text already
// validated, and the Unicode character classes HuggingFace's Rust tokenizers
// use (Rust's char methods and the unicode_categories crate), answered by
// utf8proc so that every component classifies characters the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace qeff::tokenizer {

// Decodes the code point at s[i] and advances i past it. `s` must be valid
// UTF-8 (the tokenizer validates input once at the boundary).
inline char32_t next_code_point(std::string_view s, size_t &i) {
  auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) {
    ++i;
    return b;
  }
  if (b < 0xE0) {
    char32_t c = ((b & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
    i += 2;
    return c;
  }
  if (b < 0xF0) {
    char32_t c = ((b & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
                 (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
    i += 3;
    return c;
  }
  char32_t c = ((b & 0x07u) << 18) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 12) |
               ((static_cast<unsigned char>(s[i + 2]) & 0x3Fu) << 6) |
               (static_cast<unsigned char>(s[i + 3]) & 0x3Fu);
  i += 4;
  return c;
}

// Byte length of the UTF-8 sequence whose lead byte is `lead`.
inline size_t utf8_lead_length(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

inline size_t utf8_length(char32_t c) { return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4; }

void append_utf8(std::string &out, char32_t c);

// Number of code points in valid UTF-8.
size_t count_code_points(std::string_view s);

// Byte offset where the last code point of non-empty valid UTF-8 starts.
size_t last_code_point_start(std::string_view s);

bool is_whitespace(char32_t c);          // Unicode White_Space (Rust char::is_whitespace)
bool is_punctuation(char32_t c);         // general category P* (unicode_categories)
bool is_ascii_punctuation(char32_t c);   // Rust char::is_ascii_punctuation
bool is_numeric(char32_t c);             // N* (Rust char::is_numeric)
bool is_other(char32_t c);               // Cc, Cf, Cs, Co (as unicode_categories: not Cn)
bool is_mark_nonspacing(char32_t c);     // Mn
bool is_combining_mark(char32_t c);      // Mn, Mc, Me
bool is_word_char(char32_t c);           // regex \w: letters, marks, Nd, Nl, Pc, join controls

// Appends the full lowercase mapping of `c` (Rust char::to_lowercase): one
// code point except U+0130, which lowercases to "i\u0307".
void append_lowercase(std::u32string &out, char32_t c);

enum class NormalForm { NFC, NFD, NFKC, NFKD };

// Normalizes one run of code points (see NormalizedString::normalize_unicode
// for how text is cut into runs).
std::u32string normalize_run(const char32_t *cps, size_t n, NormalForm form);

// Whether a normalization run may end before `c`: `c` is a starter (canonical
// combining class 0) that never composes with the code point before it.
bool is_normalization_boundary(char32_t c);

// Grapheme cluster boundary between code points (extended, as unicode-segmentation).
struct GraphemeState {
  int32_t state = 0;
};
bool grapheme_break(char32_t before, char32_t after, GraphemeState &state);

}  // namespace qeff::tokenizer
