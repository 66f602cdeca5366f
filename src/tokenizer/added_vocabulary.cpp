#include "tokenizer/added_vocabulary.hpp"

#include <cjson/cJSON.h>

#include <map>

#include "common/error.hpp"
#include "tokenizer/unicode.hpp"

namespace qeff::tokenizer {

// A byte trie of the token strings of one matching set; a match is
// leftmost-longest, as aho-corasick's MatchKind::LeftmostLongest.
struct AddedVocabulary::Matcher {
  struct Node {
    std::map<unsigned char, uint32_t> next;
    int64_t token = -1;  // index into tokens_
  };
  std::vector<Node> nodes{Node{}};
  bool first_byte[256] = {};

  void insert(std::string_view key, size_t token) {
    if (key.empty()) return;
    first_byte[static_cast<unsigned char>(key[0])] = true;
    uint32_t n = 0;
    for (char ch : key) {
      auto c = static_cast<unsigned char>(ch);
      auto it = nodes[n].next.find(c);
      if (it == nodes[n].next.end()) {
        nodes.emplace_back();
        it = nodes[n].next.emplace(c, static_cast<uint32_t>(nodes.size() - 1)).first;
      }
      n = it->second;
    }
    // Two tokens normalizing to the same string: the first listed wins.
    if (nodes[n].token < 0) nodes[n].token = static_cast<int64_t>(token);
  }
  // The longest match starting at `pos`: (token, length) or token -1.
  std::pair<int64_t, size_t> longest_at(std::string_view s, size_t pos) const {
    int64_t best = -1;
    size_t best_len = 0;
    uint32_t n = 0;
    for (size_t i = pos; i < s.size(); ++i) {
      auto it = nodes[n].next.find(static_cast<unsigned char>(s[i]));
      if (it == nodes[n].next.end()) break;
      n = it->second;
      if (nodes[n].token >= 0) {
        best = nodes[n].token;
        best_len = i + 1 - pos;
      }
    }
    return {best, best_len};
  }
};

namespace {

bool ends_with_word(std::string_view s) {
  return !s.empty() && is_word_char([&] {
           size_t i = last_code_point_start(s);
           return next_code_point(s, i);
         }());
}
bool starts_with_word(std::string_view s) {
  if (s.empty()) return false;
  size_t i = 0;
  return is_word_char(next_code_point(s, i));
}
// Start of the whitespace run that ends `s` (HF `\s*$`).
size_t leftmost_space_at_end(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    size_t b = last_code_point_start(s.substr(0, end));
    size_t i = b;
    if (!is_whitespace(next_code_point(s, i))) break;
    end = b;
  }
  return end;
}
// Length of the whitespace run that starts `s` (HF `^\s*`).
size_t rightmost_space_at_start(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    if (!is_whitespace(next_code_point(s, j))) break;
    i = j;
  }
  return i;
}

}  // namespace

void AddedVocabulary::parse(const JsonView &list, const Model &model, const TokenizerLimits &limits) {
  if (!list.present()) return;
  if (!list.is_array()) list.type_error("an array of added tokens");
  if (list.size() > limits.added_tokens)
    list.fail_here(QEFF_E_LIMIT, "has " + std::to_string(list.size()) + " tokens, above the limit of " +
                                     std::to_string(limits.added_tokens));
  for_each_element(list, [&](size_t i, const cJSON *node) {
    JsonView t = element_view(list, i, node);
    if (!t.is_object()) t.type_error("an added token object");
    AddedToken a;
    a.content = t.get("content").as_string();
    if (a.content.size() > limits.token_bytes)
      t.get("content").fail_here(QEFF_E_LIMIT, "is " + std::to_string(a.content.size()) +
                                                   " bytes, above the token limit of " +
                                                   std::to_string(limits.token_bytes));
    a.id = static_cast<uint32_t>(t.get("id").as_int(0, static_cast<int64_t>(limits.vocab_size) - 1));
    a.special = t.opt_bool("special").value_or(false);
    a.lstrip = t.opt_bool("lstrip").value_or(false);
    a.rstrip = t.opt_bool("rstrip").value_or(false);
    a.single_word = t.opt_bool("single_word").value_or(false);
    // HF's AddedToken defaults normalized to !special.
    a.normalized = t.opt_bool("normalized").value_or(!a.special);
    if (auto vid = model.vocab().find(a.content); vid && *vid != a.id)
      t.get("id").fail_here(QEFF_E_FORMAT, "is " + std::to_string(a.id) + " but the model vocabulary gives " +
                                               quote(a.content) + " id " + std::to_string(*vid));
    if (by_id_.count(a.id))
      t.get("id").fail_here(QEFF_E_FORMAT, "is " + std::to_string(a.id) + ", already used by added token " +
                                               quote(tokens_[by_id_[a.id]].content));
    if (a.content.empty()) return;  // HF ignores empty added tokens
    add(std::move(a));
  });
}

void AddedVocabulary::add(AddedToken token) {
  if (by_content_.count(token.content)) return;  // HF keeps the first of a duplicated content
  by_id_[token.id] = tokens_.size();
  by_content_[token.content] = tokens_.size();
  tokens_.push_back(std::move(token));
}

void AddedVocabulary::build(const Normalizer *normalizer) {
  raw_ = std::make_shared<Matcher>();
  normalized_ = std::make_shared<Matcher>();
  // HF orders the trie patterns special tokens first, then the others; with
  // leftmost-longest matching the order only breaks exact ties.
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < tokens_.size(); ++i) {
      const AddedToken &t = tokens_[i];
      if (t.special != (pass == 0)) continue;
      if (!t.normalized) {
        raw_->insert(t.content, i);
      } else {
        NormalizedString ns(t.content, 0);
        if (normalizer) normalizer->normalize(ns);
        normalized_->insert(ns.get(), i);
      }
    }
  }
}

void AddedVocabulary::split_with(const Matcher &m, NormalizedString &&s, bool parse_special,
                                 std::vector<Split> &out) const {
  const std::string &text = s.get();
  if (text.empty()) return;  // HF drops empty splits
  size_t start_offset = 0;
  bool any = false;
  size_t pos = 0;
  while (pos < text.size()) {
    if (!m.first_byte[static_cast<unsigned char>(text[pos])]) {
      ++pos;
      continue;
    }
    auto [tok, len] = m.longest_at(text, pos);
    if (tok < 0) {
      ++pos;
      continue;
    }
    size_t start = pos, stop = pos + len;
    pos = stop;  // a skipped match still consumes its text, as the aho-corasick iterator
    const AddedToken &t = tokens_[static_cast<size_t>(tok)];
    if (t.special && !parse_special) continue;
    if (t.single_word) {
      bool start_space = start == 0 || !ends_with_word(std::string_view(text).substr(0, start));
      bool stop_space = stop == text.size() || !starts_with_word(std::string_view(text).substr(stop));
      if (!start_space || !stop_space) continue;
    }
    if (t.lstrip) start = std::max(leftmost_space_at_end(std::string_view(text).substr(0, start)), start_offset);
    if (t.rstrip) stop += rightmost_space_at_start(std::string_view(text).substr(stop));
    if (!any) out.reserve(out.size() + 3);
    any = true;
    if (start_offset < start) out.push_back(Split{s.slice(start_offset, start), false, {}});
    Split tokenized{s.slice(start, stop), true, {}};
    tokenized.tokens.push_back({t.id, 0, static_cast<uint32_t>(stop - start)});
    if (!tokenized.text.empty()) out.push_back(std::move(tokenized));
    start_offset = stop;
    pos = std::max(pos, stop);
  }
  if (!any) {
    out.push_back(Split{std::move(s), false, {}});
    return;
  }
  if (start_offset != text.size()) out.push_back(Split{s.slice(start_offset, text.size()), false, {}});
}

void AddedVocabulary::extract_and_normalize(std::string_view text, const Normalizer *normalizer,
                                            bool parse_special, std::vector<Split> &out) const {
  std::vector<Split> first;
  split_with(*raw_, NormalizedString(text, 0), parse_special, first);
  for (Split &s : first) {
    if (s.tokenized) {
      out.push_back(std::move(s));
      continue;
    }
    if (normalizer) normalizer->normalize(s.text);
    split_with(*normalized_, std::move(s.text), parse_special, out);
  }
}

const AddedToken *AddedVocabulary::find_id(uint32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

const AddedToken *AddedVocabulary::find_content(std::string_view content) const {
  auto it = by_content_.find(content);
  return it == by_content_.end() ? nullptr : &tokens_[it->second];
}

bool AddedVocabulary::is_special_id(uint32_t id) const {
  const AddedToken *t = find_id(id);
  return t && t->special;
}

}  // namespace qeff::tokenizer
