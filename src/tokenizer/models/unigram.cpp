// Unigram language model (HF models/unigram, SentencePiece's unigram): the
// most probable segmentation by Viterbi over a byte trie of the vocabulary,
// unknown characters scored min_score - 10 and fused into one unknown token;
// optional byte fallback for pieces outside the vocabulary.
#include <cjson/cJSON.h>

#include <cmath>
#include <map>

#include "common/error.hpp"
#include "tokenizer/models/model.hpp"
#include "tokenizer/unicode.hpp"

namespace qeff::tokenizer {
namespace {

constexpr double kUnkPenalty = 10.0;

// A byte trie flattened into sorted edge arrays after construction.
class Trie {
 public:
  void insert(std::string_view key, uint32_t id) {
    if (build_.empty()) build_.emplace_back();
    size_t node = 0;
    for (char ch : key) {
      auto c = static_cast<unsigned char>(ch);
      auto it = build_[node].children.find(c);
      if (it == build_[node].children.end()) {
        build_.emplace_back();
        it = build_[node].children.emplace(c, static_cast<uint32_t>(build_.size() - 1)).first;
      }
      node = it->second;
    }
    build_[node].id = static_cast<int64_t>(id);
  }
  void freeze() {
    if (build_.empty()) build_.emplace_back();
    nodes_.resize(build_.size());
    for (size_t i = 0; i < build_.size(); ++i) {
      nodes_[i].first_edge = static_cast<uint32_t>(labels_.size());
      nodes_[i].id = build_[i].id;
      for (auto [c, child] : build_[i].children) {
        labels_.push_back(c);
        targets_.push_back(child);
      }
      nodes_[i].edge_count = static_cast<uint32_t>(labels_.size()) - nodes_[i].first_edge;
    }
    build_.clear();
    build_.shrink_to_fit();
  }
  // Calls fn(length, id) for every vocabulary token that prefixes `text`.
  template <typename Fn>
  void common_prefixes(std::string_view text, Fn fn) const {
    size_t node = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      auto c = static_cast<unsigned char>(text[i]);
      const Node &n = nodes_[node];
      const unsigned char *b = labels_.data() + n.first_edge, *e = b + n.edge_count;
      const unsigned char *it = std::lower_bound(b, e, c);
      if (it == e || *it != c) return;
      node = targets_[n.first_edge + static_cast<size_t>(it - b)];
      if (nodes_[node].id >= 0) fn(i + 1, static_cast<uint32_t>(nodes_[node].id));
    }
  }

 private:
  struct BuildNode {
    std::map<unsigned char, uint32_t> children;
    int64_t id = -1;
  };
  struct Node {
    uint32_t first_edge = 0, edge_count = 0;
    int64_t id = -1;
  };
  std::vector<BuildNode> build_;
  std::vector<Node> nodes_;
  std::vector<unsigned char> labels_;
  std::vector<uint32_t> targets_;
};

class Unigram final : public Model {
 public:
  Vocab vocab_;
  std::vector<double> scores_;
  Trie trie_;
  std::optional<uint32_t> unk_id_;
  bool byte_fallback_ = false;
  double min_score_ = INFINITY;
  std::array<int64_t, 256> byte_ids_{};

  const Vocab &vocab() const override { return vocab_; }
  const char *kind() const override { return "Unigram"; }

  void tokenize(std::string_view s, std::vector<Token> &out) const override {
    if (s.empty()) return;
    struct Best {
      double score = 0;
      int64_t starts_at = -1;
      uint32_t id = 0;
    };
    thread_local std::vector<Best> best;
    best.assign(s.size() + 1, Best{});
    const double unk_score = min_score_ - kUnkPenalty;
    size_t start = 0;
    while (start < s.size()) {
      double here = best[start].score;
      size_t mblen = utf8_lead_length(static_cast<unsigned char>(s[start]));
      bool single = false;
      trie_.common_prefixes(s.substr(start), [&](size_t len, uint32_t id) {
        Best &t = best[start + len];
        double cand = scores_[id] + here;
        if (t.starts_at < 0 || cand > t.score) t = {cand, static_cast<int64_t>(start), id};
        if (len == mblen) single = true;
      });
      if (!single) {
        Best &t = best[start + mblen];
        double cand = unk_score + here;
        if (t.starts_at < 0 || cand > t.score) {
          if (!unk_id_)
            fail(QEFF_E_UNSUPPORTED, "Unigram model: a character is not in the vocabulary and the model has no unk_id");
          t = {cand, static_cast<int64_t>(start), *unk_id_};
        }
      }
      start += mblen;
    }
    // Walk back, fusing consecutive unknown pieces into one.
    thread_local std::vector<std::pair<size_t, size_t>> pieces;  // (begin, end)
    pieces.clear();
    size_t end = s.size();
    size_t unk_end = 0;
    bool in_unk = false;
    while (end > 0) {
      const Best &n = best[end];
      auto b = static_cast<size_t>(n.starts_at);
      bool is_unk = unk_id_ && n.id == *unk_id_;
      if (is_unk) {
        if (!in_unk) unk_end = end;
        in_unk = true;
      } else {
        if (in_unk) pieces.emplace_back(end, unk_end);
        in_unk = false;
        pieces.emplace_back(b, end);
      }
      end = b;
    }
    if (in_unk) pieces.emplace_back(0, unk_end);
    for (size_t k = pieces.size(); k-- > 0;) {
      auto [b, e] = pieces[k];
      std::string_view piece = s.substr(b, e - b);
      auto id = vocab_.find(piece);
      if (!id && byte_fallback_) {
        bool all = true;
        for (char ch : piece) all = all && byte_ids_[static_cast<unsigned char>(ch)] >= 0;
        if (all) {
          // Every byte token spans the whole piece, as in HF.
          for (char ch : piece)
            out.push_back({static_cast<uint32_t>(byte_ids_[static_cast<unsigned char>(ch)]),
                           static_cast<uint32_t>(b), static_cast<uint32_t>(e)});
          continue;
        }
      }
      if (!id) {
        if (!unk_id_) fail(QEFF_E_UNSUPPORTED, "Unigram model: an unknown piece and no unk_id");
        id = unk_id_;
      }
      out.push_back({*id, static_cast<uint32_t>(b), static_cast<uint32_t>(e)});
    }
  }
};

}  // namespace

std::unique_ptr<Model> parse_unigram(const JsonView &v, const ParseContext &ctx) {
  auto m = std::make_unique<Unigram>();
  JsonView vocab = v.get("vocab");
  if (!vocab.is_array()) vocab.type_error("an array of [token, score]");
  if (vocab.size() > ctx.limits.vocab_size)
    vocab.fail_here(QEFF_E_LIMIT, "has " + std::to_string(vocab.size()) + " entries, above the limit of " +
                                      std::to_string(ctx.limits.vocab_size));
  m->vocab_.reserve(vocab.size());
  m->scores_.reserve(vocab.size());
  for_each_element(vocab, [&](size_t i, const cJSON *node) {
    if (!(cJSON_IsArray(node) && cJSON_GetArraySize(node) == 2 && cJSON_IsString(node->child) &&
          cJSON_IsNumber(node->child->next) && std::isfinite(node->child->next->valuedouble)))
      element_view(vocab, i, node).type_error("a pair [token, finite score]");
    std::string token = node->child->valuestring;
    double score = node->child->next->valuedouble;
    m->trie_.insert(token, static_cast<uint32_t>(i));
    m->vocab_.add(std::move(token), static_cast<uint32_t>(i), vocab, ctx.limits);
    m->scores_.push_back(score);
    m->min_score_ = std::min(m->min_score_, score);
  });
  m->trie_.freeze();
  if (auto unk = v.opt_int("unk_id", 0, INT64_MAX)) {
    if (static_cast<uint64_t>(*unk) >= m->scores_.size())
      v.get("unk_id").fail_here(QEFF_E_FORMAT, "is " + std::to_string(*unk) + ", outside the vocabulary of " +
                                                   std::to_string(m->scores_.size()));
    m->unk_id_ = static_cast<uint32_t>(*unk);
  }
  m->byte_fallback_ = v.opt_bool("byte_fallback").value_or(false);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    auto id = m->vocab_.find(name);
    m->byte_ids_[static_cast<size_t>(b)] = id ? static_cast<int64_t>(*id) : -1;
  }
  return m;
}

}  // namespace qeff::tokenizer
