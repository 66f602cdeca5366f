#include "common/error.hpp"

#include <cstdio>

#include "common/utf8.hpp"

namespace qeff {

void fail(qeff_status status, std::string message) { throw Error(status, std::move(message)); }

std::string quote(std::string_view text, size_t max_bytes) {
  std::string out = "\"";
  size_t i = 0;
  while (i < text.size()) {
    if (i >= max_bytes) {
      out += "...";
      break;
    }
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t n = utf8_sequence_length(text.substr(i));
    if (c >= 0x80 && n > 0) {
      out.append(text.substr(i, n));
      i += n;
      continue;
    }
    if (c < 0x20 || c == 0x7f || c >= 0x80 || c == '"' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  out += "\"";
  return out;
}

}  // namespace qeff
