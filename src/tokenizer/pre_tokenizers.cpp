#include "tokenizer/pre_tokenizers.hpp"

#include "common/error.hpp"
#include "tokenizer/normalizers.hpp"
#include "tokenizer/regex.hpp"

namespace qeff::tokenizer {
namespace {

SplitBehavior parse_behavior(const JsonView &v) {
  std::string b = v.as_string();
  if (b == "Removed") return SplitBehavior::Removed;
  if (b == "Isolated") return SplitBehavior::Isolated;
  if (b == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (b == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (b == "Contiguous") return SplitBehavior::Contiguous;
  v.fail_here(QEFF_E_UNSUPPORTED, "names an unknown split behavior " + quote(b));
}

// GPT-2's pattern (tokenizers/src/pre_tokenizers/byte_level.rs).
constexpr const char *kByteLevelPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class ByteLevel final : public PreTokenizer {
 public:
  ByteLevel(bool add_prefix_space, bool use_regex) : prefix_(add_prefix_space), use_regex_(use_regex) {
    if (use_regex_) regex_ = Regex::compile(kByteLevelPattern, "ByteLevel pre-tokenizer");
  }
  void pre_tokenize(std::vector<Split> &splits) const override {
    split_each(splits, [&](NormalizedString &s, std::vector<NormalizedString> &out) {
      if (prefix_ && s.get().front() != ' ') s.prepend(" ");
      if (use_regex_)
        s.split(regex_->find_matches(s.get()), SplitBehavior::Isolated, out);
      else
        out.push_back(std::move(s));
    });
    for (Split &s : splits)
      if (!s.tokenized) byte_level_transform(s.text);
  }

 private:
  bool prefix_, use_regex_;
  std::shared_ptr<const Regex> regex_;
};

class SplitPreTokenizer final : public PreTokenizer {
 public:
  SplitPreTokenizer(Pattern p, SplitBehavior b, bool invert)
      : pattern_(std::move(p)), behavior_(b), invert_(invert) {}
  void pre_tokenize(std::vector<Split> &splits) const override {
    split_each(splits, [&](NormalizedString &s, std::vector<NormalizedString> &out) {
      std::vector<PatternMatch> m = pattern_.find_matches(s.get());
      if (invert_)
        for (auto &x : m) x.is_match = !x.is_match;
      s.split(m, behavior_, out);
    });
  }

 private:
  Pattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

enum class PrependScheme { Always, First, Never };

class Metaspace final : public PreTokenizer {
 public:
  Metaspace(char32_t replacement, PrependScheme scheme, bool split)
      : replacement_(replacement), scheme_(scheme), split_(split) {
    append_utf8(rep_, replacement);
  }
  void pre_tokenize(std::vector<Split> &splits) const override {
    split_each(splits, [&](NormalizedString &s, std::vector<NormalizedString> &out) {
      s.replace(find_char_matches(s.get(), [](char32_t c) { return c == U' '; }), rep_);
      bool starts = s.get().compare(0, rep_.size(), rep_) == 0;
      if (!starts && (scheme_ == PrependScheme::Always ||
                      (scheme_ == PrependScheme::First && s.original_shift() == 0)))
        s.prepend(rep_);
      if (split_) {
        char32_t r = replacement_;
        s.split(find_char_matches(s.get(), [r](char32_t c) { return c == r; }),
                SplitBehavior::MergedWithNext, out);
      } else {
        out.push_back(std::move(s));
      }
    });
  }

 private:
  char32_t replacement_;
  std::string rep_;
  PrependScheme scheme_;
  bool split_;
};

// Whitespace: keeps the runs of `\w+` and of `[^\w\s]+` (HF's Rust-regex
// pattern, written out so it needs no regex engine).
class Whitespace final : public PreTokenizer {
 public:
  void pre_tokenize(std::vector<Split> &splits) const override {
    split_each(splits, [](NormalizedString &s, std::vector<NormalizedString> &out) {
      const std::string &t = s.get();
      std::vector<Span> runs;
      size_t i = 0;
      int run_kind = 0;  // 0 none, 1 word, 2 other non-space
      size_t run_start = 0;
      while (i < t.size()) {
        size_t b = i;
        char32_t c = next_code_point(t, i);
        int kind = is_word_char(c) ? 1 : is_whitespace(c) ? 0 : 2;
        if (kind != run_kind) {
          if (run_kind != 0) runs.push_back({run_start, b});
          run_kind = kind;
          run_start = b;
        }
      }
      if (run_kind != 0) runs.push_back({run_start, t.size()});
      std::vector<PatternMatch> m = spans_to_matches(runs, t.size());
      for (auto &x : m) x.is_match = !x.is_match;
      s.split(m, SplitBehavior::Removed, out);
    });
  }
};

template <typename Pred>
class CharSplit final : public PreTokenizer {
 public:
  CharSplit(Pred pred, SplitBehavior b) : pred_(pred), behavior_(b) {}
  void pre_tokenize(std::vector<Split> &splits) const override {
    split_each(splits, [&](NormalizedString &s, std::vector<NormalizedString> &out) {
      s.split(find_char_matches(s.get(), pred_), behavior_, out);
    });
  }

 private:
  Pred pred_;
  SplitBehavior behavior_;
};

template <typename Pred>
std::unique_ptr<PreTokenizer> char_split(Pred pred, SplitBehavior b) {
  return std::make_unique<CharSplit<Pred>>(pred, b);
}

bool is_punc(char32_t c) { return is_ascii_punctuation(c) || is_punctuation(c); }

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> items) : items_(std::move(items)) {}
  void pre_tokenize(std::vector<Split> &splits) const override {
    for (const auto &p : items_) p->pre_tokenize(splits);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> items_;
};

char32_t single_code_point(const JsonView &v) {
  std::string s = v.as_string();
  size_t i = 0;
  if (s.empty()) v.fail_here(QEFF_E_FORMAT, "must be exactly one character, got an empty string");
  char32_t c = next_code_point(s, i);
  if (i != s.size()) v.fail_here(QEFF_E_FORMAT, "must be exactly one character, got " + quote(s));
  return c;
}

}  // namespace

std::unique_ptr<PreTokenizer> make_bert_pre_tokenizer() {
  std::vector<std::unique_ptr<PreTokenizer>> items;
  items.push_back(char_split([](char32_t c) { return is_whitespace(c); }, SplitBehavior::Removed));
  items.push_back(char_split(is_punc, SplitBehavior::Isolated));
  return std::make_unique<SequencePreTokenizer>(std::move(items));
}

std::unique_ptr<PreTokenizer> parse_pre_tokenizer(const JsonView &v, const ParseContext &ctx) {
  std::string type = component_type(v, "pre-tokenizer");
  if (type == "ByteLevel")
    return std::make_unique<ByteLevel>(v.opt_bool("add_prefix_space").value_or(true),
                                       v.opt_bool("use_regex").value_or(true));
  if (type == "Split") {
    return std::make_unique<SplitPreTokenizer>(Pattern::parse(v.get("pattern"), ctx.limits.pattern_bytes),
                                               parse_behavior(v.get("behavior")),
                                               v.opt_bool("invert").value_or(false));
  }
  if (type == "Metaspace") {
    char32_t rep = v.get("replacement").present() ? single_code_point(v.get("replacement")) : U'\u2581';
    PrependScheme scheme = PrependScheme::Always;
    if (auto s = v.opt_string("prepend_scheme")) {
      if (*s == "always") scheme = PrependScheme::Always;
      else if (*s == "first") scheme = PrependScheme::First;
      else if (*s == "never") scheme = PrependScheme::Never;
      else v.get("prepend_scheme").fail_here(QEFF_E_UNSUPPORTED, "names an unknown prepend scheme " + quote(*s));
    } else if (auto legacy = v.opt_bool("add_prefix_space")) {
      scheme = *legacy ? PrependScheme::Always : PrependScheme::Never;  // files before 0.19
    }
    return std::make_unique<Metaspace>(rep, scheme, v.opt_bool("split").value_or(true));
  }
  if (type == "Whitespace") return std::make_unique<Whitespace>();
  if (type == "WhitespaceSplit")
    return char_split([](char32_t c) { return is_whitespace(c); }, SplitBehavior::Removed);
  if (type == "BertPreTokenizer") return make_bert_pre_tokenizer();
  if (type == "Digits")
    return char_split([](char32_t c) { return is_numeric(c); },
                      v.opt_bool("individual_digits").value_or(false) ? SplitBehavior::Isolated
                                                                      : SplitBehavior::Contiguous);
  if (type == "Punctuation")
    return char_split(is_punc, v.get("behavior").present() ? parse_behavior(v.get("behavior"))
                                                           : SplitBehavior::Isolated);
  if (type == "Sequence") {
    ParseContext inner = nested(ctx, v);
    JsonView list = v.get("pretokenizers");
    if (!list.is_array()) list.type_error("an array of pre-tokenizers");
    std::vector<std::unique_ptr<PreTokenizer>> items;
    for (size_t i = 0; i < list.size(); ++i) items.push_back(parse_pre_tokenizer(list.at(i), inner));
    return std::make_unique<SequencePreTokenizer>(std::move(items));
  }
  unknown_component(v, "pre-tokenizer", type);
}

}  // namespace qeff::tokenizer
