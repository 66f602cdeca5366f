#include "tokenizer/normalizers.hpp"

#include <array>
#include <optional>
#include <vector>

#include "common/error.hpp"
#include "tokenizer/precompiled.hpp"
#include "tokenizer/regex.hpp"

namespace qeff::tokenizer {

const char32_t *byte_level_chars() {
  static const std::array<char32_t, 256> table = [] {
    std::array<char32_t, 256> t{};
    char32_t n = 0;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      t[static_cast<size_t>(b)] = printable ? static_cast<char32_t>(b) : 256 + n++;
    }
    return t;
  }();
  return table.data();
}

int byte_level_byte(char32_t c) {
  static const std::array<int16_t, 324> inverse = [] {
    std::array<int16_t, 324> t{};
    t.fill(-1);
    for (int b = 0; b < 256; ++b) t[byte_level_chars()[b]] = static_cast<int16_t>(b);
    return t;
  }();
  return c < inverse.size() ? inverse[c] : -1;
}

void byte_level_transform(NormalizedString &s) {
  const std::string &text = s.get();
  std::vector<Change> dest;
  dest.reserve(text.size());
  const char32_t *map = byte_level_chars();
  size_t i = 0;
  while (i < text.size()) {
    size_t n = utf8_lead_length(static_cast<unsigned char>(text[i]));
    for (size_t k = 0; k < n; ++k)
      dest.push_back({map[static_cast<unsigned char>(text[i + k])], k > 0 ? 1 : 0});
    i += n;
  }
  s.transform(dest, 0);
}

namespace {

bool bert_is_whitespace(char32_t c) { return c == '\t' || c == '\n' || c == '\r' || is_whitespace(c); }
bool bert_is_control(char32_t c) { return !(c == '\t' || c == '\n' || c == '\r') && is_other(c); }
bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

class BertNormalizer final : public Normalizer {
 public:
  BertNormalizer(bool clean, bool chinese, std::optional<bool> strip, bool lower)
      : clean_(clean), chinese_(chinese), strip_(strip.value_or(lower)), lower_(lower) {}
  void normalize(NormalizedString &s) const override {
    if (clean_) {
      s.filter([](char32_t c) { return !(c == 0 || c == 0xFFFD || bert_is_control(c)); });
      s.map([](char32_t c) { return bert_is_whitespace(c) ? U' ' : c; });
    }
    if (chinese_) {
      bool any = false;
      for (char ch : s.get())
        if (static_cast<unsigned char>(ch) >= 0xE3) any = true;  // CJK starts at U+3400
      if (any) {
        std::vector<Change> dest;
        const std::string &t = s.get();
        size_t i = 0;
        while (i < t.size()) {
          char32_t c = next_code_point(t, i);
          if (is_chinese_char(c)) {
            dest.push_back({U' ', 0});
            dest.push_back({c, 1});
            dest.push_back({U' ', 1});
          } else {
            dest.push_back({c, 0});
          }
        }
        s.transform(dest, 0);
      }
    }
    if (strip_) {
      s.normalize_unicode(NormalForm::NFD);
      s.filter([](char32_t c) { return !is_mark_nonspacing(c); });
    }
    if (lower_) s.lowercase();
  }

 private:
  bool clean_, chinese_, strip_, lower_;
};

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(NormalForm f) : form_(f) {}
  void normalize(NormalizedString &s) const override { s.normalize_unicode(form_); }

 private:
  NormalForm form_;
};

class Lowercase final : public Normalizer {
 public:
  void normalize(NormalizedString &s) const override { s.lowercase(); }
};

class StripAccents final : public Normalizer {
 public:
  void normalize(NormalizedString &s) const override {
    s.filter([](char32_t c) { return !is_combining_mark(c); });
  }
};

class Strip final : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void normalize(NormalizedString &s) const override { s.strip(left_, right_); }

 private:
  bool left_, right_;
};

class Replace final : public Normalizer {
 public:
  Replace(Pattern p, std::string content) : pattern_(std::move(p)), content_(std::move(content)) {}
  void normalize(NormalizedString &s) const override {
    s.replace(pattern_.find_matches(s.get()), content_);
  }

 private:
  Pattern pattern_;
  std::string content_;
};

class Prepend final : public Normalizer {
 public:
  explicit Prepend(std::string p) : prepend_(std::move(p)) {}
  void normalize(NormalizedString &s) const override { s.prepend(prepend_); }

 private:
  std::string prepend_;
};

class ByteLevelNormalizer final : public Normalizer {
 public:
  void normalize(NormalizedString &s) const override { byte_level_transform(s); }
};

// HF's `replace` helper of the Precompiled normalizer: the changes that turn
// `old_count` code points into `repl`.
void precompiled_replace(std::vector<Change> &dest, size_t old_count, std::string_view repl) {
  size_t first = dest.size();
  size_t i = 0;
  while (i < repl.size()) dest.push_back({next_code_point(repl, i), 0});
  int64_t diff = static_cast<int64_t>(dest.size() - first) - static_cast<int64_t>(old_count);
  if (diff > 0) {
    for (int64_t k = 0; k < diff && static_cast<size_t>(k) < dest.size(); ++k)
      dest[dest.size() - 1 - static_cast<size_t>(k)].change = 1;
  } else if (diff < 0 && !dest.empty()) {
    dest.back().change += diff;
  }
}

class Precompiled final : public Normalizer {
 public:
  explicit Precompiled(PrecompiledCharsmap m) : map_(std::move(m)) {}
  void normalize(NormalizedString &s) const override {
    const std::string &t = s.get();
    std::vector<Change> dest;
    dest.reserve(t.size());
    bool modified = false;
    // Walk grapheme clusters: a cluster shorter than 6 bytes is looked up
    // whole first, then code point by code point (spm_precompiled).
    size_t i = 0;
    while (i < t.size()) {
      size_t g_begin = i;
      GraphemeState st;
      char32_t prev = next_code_point(t, i);
      while (i < t.size()) {
        size_t j = i;
        char32_t c = next_code_point(t, j);
        if (grapheme_break(prev, c, st)) break;
        prev = c;
        i = j;
      }
      std::string_view g(t.data() + g_begin, i - g_begin);
      if (g.size() < 6) {
        if (auto norm = map_.transform(g)) {
          modified = true;
          precompiled_replace(dest, count_code_points(g), *norm);
          continue;
        }
      }
      size_t k = 0;
      while (k < g.size()) {
        size_t b = k;
        char32_t c = next_code_point(g, k);
        if (auto norm = map_.transform(g.substr(b, k - b))) {
          modified = true;
          precompiled_replace(dest, 1, *norm);
        } else {
          dest.push_back({c, 0});
        }
      }
    }
    if (modified) s.transform(dest, 0);
  }

 private:
  PrecompiledCharsmap map_;
};

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> items) : items_(std::move(items)) {}
  void normalize(NormalizedString &s) const override {
    for (const auto &n : items_) n->normalize(s);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> items_;
};

std::optional<bool> opt_bool_or_null(const JsonView &v, const char *key) { return v.opt_bool(key); }

}  // namespace

std::unique_ptr<Normalizer> make_bert_normalizer(bool clean_text, bool handle_chinese_chars,
                                                 std::optional<bool> strip_accents, bool lowercase) {
  return std::make_unique<BertNormalizer>(clean_text, handle_chinese_chars, strip_accents, lowercase);
}

std::unique_ptr<Normalizer> parse_normalizer(const JsonView &v, const ParseContext &ctx) {
  std::string type = component_type(v, "normalizer");
  if (type == "BertNormalizer")
    return make_bert_normalizer(v.opt_bool("clean_text").value_or(true),
                                v.opt_bool("handle_chinese_chars").value_or(true),
                                opt_bool_or_null(v, "strip_accents"),
                                v.opt_bool("lowercase").value_or(true));
  if (type == "NFC") return std::make_unique<UnicodeNormalizer>(NormalForm::NFC);
  if (type == "NFD") return std::make_unique<UnicodeNormalizer>(NormalForm::NFD);
  if (type == "NFKC") return std::make_unique<UnicodeNormalizer>(NormalForm::NFKC);
  if (type == "NFKD") return std::make_unique<UnicodeNormalizer>(NormalForm::NFKD);
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "StripAccents") return std::make_unique<StripAccents>();
  if (type == "ByteLevel") return std::make_unique<ByteLevelNormalizer>();
  if (type == "Strip")
    return std::make_unique<Strip>(v.opt_bool("strip_left").value_or(true),
                                   v.opt_bool("strip_right").value_or(true));
  if (type == "Replace") {
    std::string content = v.get("content").as_string();
    if (content.size() > ctx.limits.pattern_bytes)
      v.get("content").fail_here(QEFF_E_LIMIT, "is longer than the pattern limit");
    return std::make_unique<Replace>(Pattern::parse(v.get("pattern"), ctx.limits.pattern_bytes),
                                     std::move(content));
  }
  if (type == "Prepend") {
    std::string p = v.get("prepend").as_string();
    if (p.size() > ctx.limits.pattern_bytes)
      v.get("prepend").fail_here(QEFF_E_LIMIT, "is longer than the pattern limit");
    return std::make_unique<Prepend>(std::move(p));
  }
  if (type == "Precompiled") {
    JsonView m = v.get("precompiled_charsmap");
    std::string where = v.origin().name + ": field " + quote(m.path());
    auto blob = base64_decode(m.as_string());
    if (!blob) m.fail_here(QEFF_E_FORMAT, "is not valid base64");
    return std::make_unique<Precompiled>(PrecompiledCharsmap::parse(*blob, where));
  }
  if (type == "Sequence") {
    ParseContext inner = nested(ctx, v);
    JsonView list = v.get("normalizers");
    if (!list.is_array()) list.type_error("an array of normalizers");
    std::vector<std::unique_ptr<Normalizer>> items;
    for (size_t i = 0; i < list.size(); ++i) items.push_back(parse_normalizer(list.at(i), inner));
    return std::make_unique<SequenceNormalizer>(std::move(items));
  }
  unknown_component(v, "normalizer", type);
}

}  // namespace qeff::tokenizer
