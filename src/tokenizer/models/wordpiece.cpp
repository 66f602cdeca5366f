// WordPiece (HF models/wordpiece): greedy longest-match-first inside each
// word, continuation pieces carrying a prefix ("##"); a word with a piece
// that matches nothing, or longer than max_input_chars_per_word characters,
// becomes the unknown token. Also reads BERT's plain vocab.txt.
#include "common/error.hpp"
#include "tokenizer/models/model.hpp"
#include "tokenizer/unicode.hpp"

namespace qeff::tokenizer {
namespace {

class WordPiece final : public Model {
 public:
  Vocab vocab_;
  std::string unk_token_;
  uint32_t unk_id_ = 0;
  std::string prefix_ = "##";
  size_t max_chars_ = 100;

  const Vocab &vocab() const override { return vocab_; }
  const char *kind() const override { return "WordPiece"; }

  void tokenize(std::string_view word, std::vector<Token> &out) const override {
    auto whole_unk = [&] { out.push_back({unk_id_, 0, static_cast<uint32_t>(word.size())}); };
    if (count_code_points(word) > max_chars_) return whole_unk();
    thread_local std::string buf;
    size_t first_out = out.size();
    size_t start = 0;
    while (start < word.size()) {
      size_t end = word.size();
      bool found = false;
      while (start < end) {
        std::optional<uint32_t> id;
        if (start > 0) {
          buf.assign(prefix_);
          buf.append(word.substr(start, end - start));
          id = vocab_.find(buf);
        } else {
          id = vocab_.find(word.substr(0, end));
        }
        if (id) {
          out.push_back({*id, static_cast<uint32_t>(start), static_cast<uint32_t>(end)});
          found = true;
          break;
        }
        end = last_code_point_start(word.substr(0, end));
        // HF steps back by the last character of the *prefixed* string, which
        // is the same code point unless the piece is empty.
      }
      if (!found) {
        out.resize(first_out);
        return whole_unk();
      }
      start = end;
    }
  }
};

}  // namespace

std::unique_ptr<Model> parse_wordpiece(const JsonView &v, const ParseContext &ctx) {
  auto m = std::make_unique<WordPiece>();
  parse_vocab_object(v.get("vocab"), ctx.limits, m->vocab_);
  m->unk_token_ = v.opt_string("unk_token").value_or("[UNK]");
  m->prefix_ = v.opt_string("continuing_subword_prefix").value_or("##");
  m->max_chars_ = static_cast<size_t>(v.opt_int("max_input_chars_per_word", 0, INT64_MAX).value_or(100));
  auto unk = m->vocab_.find(m->unk_token_);
  if (!unk)
    v.get("unk_token").fail_here(QEFF_E_FORMAT, "names " + quote(m->unk_token_) + ", which is not in the vocabulary");
  m->unk_id_ = *unk;
  return m;
}

std::unique_ptr<Model> wordpiece_from_vocab_txt(std::string_view text, const std::string &name,
                                                const std::string &unk_token,
                                                const TokenizerLimits &limits) {
  auto m = std::make_unique<WordPiece>();
  JsonOrigin origin{name, QEFF_E_FORMAT};
  uint32_t id = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string token(text.substr(pos, end - pos));
    if (!token.empty() && token.back() == '\r') token.pop_back();
    pos = end + 1;
    if (token.size() > limits.token_bytes)
      fail(QEFF_E_LIMIT, name + ": line " + std::to_string(id + 1) + " holds a token of " +
                             std::to_string(token.size()) + " bytes, above the limit of " +
                             std::to_string(limits.token_bytes));
    if (id >= limits.vocab_size)
      fail(QEFF_E_LIMIT, name + ": more than " + std::to_string(limits.vocab_size) + " tokens");
    // A duplicated line keeps its first id (transformers keeps the last;
    // real vocabularies have no duplicates).
    if (m->vocab_.find(token)) {
      ++id;
      continue;
    }
    JsonView where(nullptr, &origin, "line " + std::to_string(id + 1));
    m->vocab_.add(std::move(token), id++, where, limits);
  }
  m->unk_token_ = unk_token;
  auto unk = m->vocab_.find(unk_token);
  if (!unk) fail(QEFF_E_FORMAT, name + ": the unknown token " + quote(unk_token) + " is not in the vocabulary");
  m->unk_id_ = *unk;
  return m;
}

}  // namespace qeff::tokenizer
