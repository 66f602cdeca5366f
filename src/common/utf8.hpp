// UTF-8 validation (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
#pragma once

#include <cstddef>
#include <string_view>

namespace qeff {

// Length of the valid UTF-8 sequence starting at text[0], or 0 if it is invalid
// or truncated (or text is empty).
size_t utf8_sequence_length(std::string_view text);

// Offset of the first invalid byte, or text.size() when all of it is valid.
size_t utf8_first_invalid(std::string_view text);

inline bool utf8_valid(std::string_view text) { return utf8_first_invalid(text) == text.size(); }

}  // namespace qeff
