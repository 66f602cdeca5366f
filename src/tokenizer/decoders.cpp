#include "tokenizer/decoders.hpp"

#include "common/error.hpp"
#include "common/utf8.hpp"
#include "tokenizer/normalizers.hpp"
#include "tokenizer/regex.hpp"
#include "tokenizer/unicode.hpp"

namespace qeff::tokenizer {
namespace {

const char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// Invalid UTF-8 to U+FFFD per maximal invalid subsequence (Rust's
// String::from_utf8_lossy).
std::string utf8_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    size_t n = utf8_sequence_length(bytes.substr(i));
    if (n > 0) {
      out.append(bytes.substr(i, n));
      i += n;
      continue;
    }
    // Skip the longest prefix of a valid sequence, at least one byte.
    auto b0 = static_cast<unsigned char>(bytes[i]);
    size_t skip = 1;
    auto cont = [&](size_t k, unsigned char lo, unsigned char hi) {
      if (i + k >= bytes.size()) return false;
      auto b = static_cast<unsigned char>(bytes[i + k]);
      return b >= lo && b <= hi;
    };
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      skip = 1;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;
      if (cont(1, lo, hi)) skip = 2;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80, hi = b0 == 0xF4 ? 0x8F : 0xBF;
      if (cont(1, lo, hi)) {
        skip = 2;
        if (cont(2, 0x80, 0xBF)) skip = 3;
      }
    }
    out += kReplacement;
    i += skip;
  }
  return out;
}

class ByteLevel final : public Decoder {
 public:
  void decode_chain(std::vector<std::string> &tokens) const override {
    std::string bytes;
    for (const std::string &t : tokens) {
      size_t start = bytes.size();
      size_t i = 0;
      bool all = true;
      while (i < t.size()) {
        int b = byte_level_byte(next_code_point(t, i));
        if (b < 0) {
          all = false;
          break;
        }
        bytes.push_back(static_cast<char>(b));
      }
      if (!all) {  // a token outside the byte alphabet (an added token) passes through
        bytes.resize(start);
        bytes += t;
      }
    }
    tokens.clear();
    tokens.push_back(utf8_lossy(bytes));
  }
};

class Metaspace final : public Decoder {
 public:
  Metaspace(char32_t rep, bool prepend) : rep_(rep), prepend_(prepend) {}
  void decode_chain(std::vector<std::string> &tokens) const override {
    for (size_t k = 0; k < tokens.size(); ++k) {
      std::string out;
      const std::string &t = tokens[k];
      size_t i = 0;
      while (i < t.size()) {
        char32_t c = next_code_point(t, i);
        if (c == rep_) {
          if (!(k == 0 && prepend_)) out.push_back(' ');
        } else {
          append_utf8(out, c);
        }
      }
      tokens[k] = std::move(out);
    }
  }

 private:
  char32_t rep_;
  bool prepend_;
};

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

// HF decoders/wordpiece.rs `cleanup`, the same replacements in the same order.
std::string cleanup(std::string s) {
  static const std::pair<const char *, const char *> kRules[] = {
      {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
      {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (auto [from, to] : kRules) s = replace_all(std::move(s), from, to);
  return s;
}

class WordPiece final : public Decoder {
 public:
  WordPiece(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  void decode_chain(std::vector<std::string> &tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string &t = tokens[i];
      if (i != 0) {
        if (t.compare(0, prefix_.size(), prefix_) == 0)
          t.erase(0, prefix_.size());
        else
          t.insert(0, " ");
      }
      if (cleanup_) t = cleanup(std::move(t));
    }
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

class ByteFallback final : public Decoder {
 public:
  void decode_chain(std::vector<std::string> &tokens) const override {
    std::vector<std::string> out;
    std::string pending;
    auto flush = [&] {
      if (pending.empty()) return;
      if (utf8_valid(pending)) {
        out.push_back(pending);
      } else {
        for (size_t k = 0; k < pending.size(); ++k) out.emplace_back(kReplacement);
      }
      pending.clear();
    };
    for (std::string &t : tokens) {
      int byte = byte_of(t);
      if (byte >= 0) {
        pending.push_back(static_cast<char>(byte));
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens = std::move(out);
  }
  bool continues_run(std::string_view token) const override { return byte_of(token) >= 0; }

 private:
  // The byte of "<0xXX>", else -1. HF parses XX with u8::from_str_radix(_, 16),
  // which also takes a '+' sign before one digit ("<0x+A>" is 0x0A).
  static int byte_of(std::string_view t) {
    if (!(t.size() == 6 && t.substr(0, 3) == "<0x" && t[5] == '>')) return -1;
    auto v = [](char c) {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int lo = v(t[4]);
    if (t[3] == '+') return lo;
    int hi = v(t[3]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
  }
};

class Fuse final : public Decoder {
 public:
  void decode_chain(std::vector<std::string> &tokens) const override {
    std::string all;
    for (const std::string &t : tokens) all += t;
    tokens.clear();
    tokens.push_back(std::move(all));
  }
};

class Strip final : public Decoder {
 public:
  Strip(char32_t content, size_t start, size_t stop) : content_(content), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string> &tokens) const override { strip(tokens, false); }
  void decode_chain_continuing(std::vector<std::string> &tokens) const override { strip(tokens, true); }

 private:
  void strip(std::vector<std::string> &tokens, bool keep_first_start) const {
    for (std::string &t : tokens) {
      const size_t start = keep_first_start && &t == &tokens.front() ? 0 : start_;
      std::u32string cps;
      size_t i = 0;
      while (i < t.size()) cps.push_back(next_code_point(t, i));
      size_t start_cut = 0;
      for (size_t k = 0; k < start && k < cps.size(); ++k) {
        if (cps[k] != content_) break;
        start_cut = k + 1;
      }
      size_t stop_cut = cps.size();
      // HF indexes from the end without a bound (a panic on short tokens); bounded here.
      for (size_t k = 0; k < stop_ && k < cps.size(); ++k) {
        size_t index = cps.size() - k - 1;
        if (cps[index] != content_) break;
        stop_cut = index;
      }
      std::string out;
      for (size_t k = start_cut; k < stop_cut; ++k) append_utf8(out, cps[k]);
      t = std::move(out);
    }
  }

 private:
  char32_t content_;
  size_t start_, stop_;
};

class Replace final : public Decoder {
 public:
  Replace(Pattern p, std::string content) : pattern_(std::move(p)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string> &tokens) const override {
    for (std::string &t : tokens) {
      std::string out;
      for (const PatternMatch &m : pattern_.find_matches(t)) {
        if (m.is_match)
          out += content_;
        else
          out.append(t, m.span.begin, m.span.end - m.span.begin);
      }
      t = std::move(out);
    }
  }

 private:
  Pattern pattern_;
  std::string content_;
};

class SequenceDecoder final : public Decoder {
 public:
  std::vector<std::unique_ptr<Decoder>> items;
  void decode_chain(std::vector<std::string> &tokens) const override {
    for (const auto &d : items) d->decode_chain(tokens);
  }
  void decode_chain_continuing(std::vector<std::string> &tokens) const override {
    for (const auto &d : items) d->decode_chain_continuing(tokens);
  }
  bool continues_run(std::string_view token) const override {
    for (const auto &d : items)
      if (d->continues_run(token)) return true;
    return false;
  }
};

char32_t one_char(const JsonView &v) {
  std::string s = v.as_string();
  size_t i = 0;
  if (s.empty()) v.fail_here(QEFF_E_FORMAT, "must be one character, got an empty string");
  char32_t c = next_code_point(s, i);
  if (i != s.size()) v.fail_here(QEFF_E_FORMAT, "must be one character, got " + quote(s));
  return c;
}

}  // namespace

std::unique_ptr<Decoder> make_wordpiece_decoder(std::string prefix, bool cleanup) {
  return std::make_unique<WordPiece>(std::move(prefix), cleanup);
}

std::unique_ptr<Decoder> parse_decoder(const JsonView &v, const ParseContext &ctx) {
  std::string type = component_type(v, "decoder");
  if (type == "ByteLevel") return std::make_unique<ByteLevel>();
  if (type == "Metaspace") {
    char32_t rep = v.get("replacement").present() ? one_char(v.get("replacement")) : U'\u2581';
    bool prepend = true;
    if (auto s = v.opt_string("prepend_scheme")) {
      if (*s != "always" && *s != "first" && *s != "never")
        v.get("prepend_scheme").fail_here(QEFF_E_UNSUPPORTED, "names an unknown prepend scheme " + quote(*s));
      prepend = *s != "never";
    } else if (auto legacy = v.opt_bool("add_prefix_space")) {
      prepend = *legacy;
    }
    return std::make_unique<Metaspace>(rep, prepend);
  }
  if (type == "WordPiece")
    return make_wordpiece_decoder(v.opt_string("prefix").value_or("##"), v.opt_bool("cleanup").value_or(true));
  if (type == "ByteFallback") return std::make_unique<ByteFallback>();
  if (type == "Fuse") return std::make_unique<Fuse>();
  if (type == "Strip")
    return std::make_unique<Strip>(one_char(v.get("content")),
                                   static_cast<size_t>(v.get("start").as_int(0, 1 << 20)),
                                   static_cast<size_t>(v.get("stop").as_int(0, 1 << 20)));
  if (type == "Replace") {
    std::string content = v.get("content").as_string();
    if (content.size() > ctx.limits.pattern_bytes)
      v.get("content").fail_here(QEFF_E_LIMIT, "is longer than the pattern limit");
    return std::make_unique<Replace>(Pattern::parse(v.get("pattern"), ctx.limits.pattern_bytes), std::move(content));
  }
  if (type == "Sequence") {
    ParseContext inner = nested(ctx, v);
    JsonView list = v.get("decoders");
    if (!list.is_array()) list.type_error("an array of decoders");
    auto s = std::make_unique<SequenceDecoder>();
    for (size_t i = 0; i < list.size(); ++i) s->items.push_back(parse_decoder(list.at(i), inner));
    return s;
  }
  unknown_component(v, "decoder", type);
}

}  // namespace qeff::tokenizer
