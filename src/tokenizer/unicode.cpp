#include "tokenizer/unicode.hpp"

#include <utf8proc.h>

#include "common/error.hpp"

namespace qeff::tokenizer {
namespace {

utf8proc_category_t category(char32_t c) {
  return utf8proc_category(static_cast<utf8proc_int32_t>(c));
}

}  // namespace

void append_utf8(std::string &out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

size_t count_code_points(std::string_view s) {
  size_t n = 0;
  for (char ch : s)
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++n;
  return n;
}

size_t last_code_point_start(std::string_view s) {
  size_t i = s.size();
  while (i > 0) {
    --i;
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) return i;
  }
  return 0;
}

bool is_whitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  switch (c) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

bool is_ascii_punctuation(char32_t c) {
  return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
         (c >= 0x7B && c <= 0x7E);
}

bool is_punctuation(char32_t c) {
  switch (category(c)) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

bool is_numeric(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  auto k = category(c);
  return k == UTF8PROC_CATEGORY_ND || k == UTF8PROC_CATEGORY_NL || k == UTF8PROC_CATEGORY_NO;
}

bool is_other(char32_t c) {
  switch (category(c)) {
    // Not Cn: the unicode_categories crate HF uses has no table of unassigned
    // code points, so noncharacters and unassigned ones count as not "other".
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
      return true;
    default:
      return false;
  }
}

bool is_mark_nonspacing(char32_t c) { return category(c) == UTF8PROC_CATEGORY_MN; }

bool is_combining_mark(char32_t c) {
  auto k = category(c);
  return k == UTF8PROC_CATEGORY_MN || k == UTF8PROC_CATEGORY_MC || k == UTF8PROC_CATEGORY_ME;
}

bool is_word_char(char32_t c) {
  if (c < 0x80)
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  if (c == 0x200C || c == 0x200D) return true;  // Join_Control
  // Other_Alphabetic symbols (circled and squared letters) are Alphabetic too.
  if ((c >= 0x24B6 && c <= 0x24E9) || (c >= 0x1F130 && c <= 0x1F149) ||
      (c >= 0x1F150 && c <= 0x1F169) || (c >= 0x1F170 && c <= 0x1F189))
    return true;
  switch (category(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_PC:
      return true;
    default:
      return false;
  }
}

void append_lowercase(std::u32string &out, char32_t c) {
  if (c < 0x80) {
    out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return;
  }
  if (c == 0x130) {  // the only code point whose full lowercase is two code points
    out.push_back(U'i');
    out.push_back(0x307);
    return;
  }
  out.push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
}

std::u32string normalize_run(const char32_t *cps, size_t n, NormalForm form) {
  int options = UTF8PROC_STABLE;
  switch (form) {
    case NormalForm::NFC: options |= UTF8PROC_COMPOSE; break;
    case NormalForm::NFD: options |= UTF8PROC_DECOMPOSE; break;
    case NormalForm::NFKC: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case NormalForm::NFKD: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
  }
  // Decompose each code point (bounded: the longest decomposition is 18 code
  // points), then let utf8proc reorder and recompose the whole run.
  std::u32string buf;
  utf8proc_int32_t tmp[32];
  for (size_t i = 0; i < n; ++i) {
    int last_boundclass = 0;
    utf8proc_ssize_t k = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cps[i]), tmp, 32,
                                                 static_cast<utf8proc_option_t>(options),
                                                 &last_boundclass);
    if (k < 0 || k > 32) fail(QEFF_E_INTERNAL, "utf8proc could not decompose a code point");
    for (utf8proc_ssize_t j = 0; j < k; ++j) buf.push_back(static_cast<char32_t>(tmp[j]));
  }
  // Canonical ordering (utf8proc_normalize_utf32 only composes): a stable
  // sort of every run of non-starters by combining class.
  auto ccc = [](char32_t c) { return utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class; };
  for (size_t i = 1; i < buf.size(); ++i) {
    size_t j = i;
    while (j > 0 && ccc(buf[j]) != 0 && ccc(buf[j - 1]) > ccc(buf[j])) {
      std::swap(buf[j], buf[j - 1]);
      --j;
    }
  }
  if (form == NormalForm::NFD || form == NormalForm::NFKD) return buf;
  static_assert(sizeof(char32_t) == sizeof(utf8proc_int32_t));
  utf8proc_ssize_t len = utf8proc_normalize_utf32(
      reinterpret_cast<utf8proc_int32_t *>(buf.data()), static_cast<utf8proc_ssize_t>(buf.size()),
      static_cast<utf8proc_option_t>(options));
  if (len < 0) fail(QEFF_E_INTERNAL, "utf8proc could not normalize a run of text");
  buf.resize(static_cast<size_t>(len));
  return buf;
}

bool is_normalization_boundary(char32_t c) {
  if (c < 0x300) return true;
  if (utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class != 0) return false;
  // Starters that are the second half of a canonical composition: Hangul
  // vowels and trailing consonants, and the Brahmic vowel signs and length
  // marks that compose with the letter before them.
  if ((c >= 0x1161 && c <= 0x1175) || (c >= 0x11A8 && c <= 0x11C2)) return false;
  switch (c) {
    case 0x09BE: case 0x09D7: case 0x0B3E: case 0x0B56: case 0x0B57: case 0x0BBE: case 0x0BD7:
    case 0x0C56: case 0x0CC2: case 0x0CD5: case 0x0CD6: case 0x0D3E: case 0x0D57: case 0x0DCF:
    case 0x0DDF: case 0x102E: case 0x1B35: case 0x11127: case 0x1133E: case 0x11357:
    case 0x114B0: case 0x114BA: case 0x114BD: case 0x115AF: case 0x11930:
      return false;
    default:
      return true;
  }
}

bool grapheme_break(char32_t before, char32_t after, GraphemeState &state) {
  return utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(before),
                                          static_cast<utf8proc_int32_t>(after), &state.state);
}

}  // namespace qeff::tokenizer
