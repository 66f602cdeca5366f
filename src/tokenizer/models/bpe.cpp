// Byte-pair encoding (HF models/bpe): byte-level (GPT-2, Llama 3, Qwen2) and
// SentencePiece-style (byte_fallback, fuse_unk) vocabularies. A word is
// merged with a priority queue over a linked list of symbols, lowest merge
// rank first (ties: leftmost), so one word of n characters costs
// O(n log n) however long it is; results for words under 256 bytes are
// cached.
#include <algorithm>
#include <array>
#include <cjson/cJSON.h>
#include <cstdio>
#include <mutex>

#include "common/error.hpp"
#include "tokenizer/models/model.hpp"
#include "tokenizer/unicode.hpp"

namespace qeff::tokenizer {
namespace {

constexpr size_t kCacheMaxKeyBytes = 256;  // as HF's MAX_LENGTH
constexpr size_t kCacheShards = 16;
constexpr size_t kCacheEntriesPerShard = 10'000 / kCacheShards * 4;
constexpr char32_t kCharTableSize = 0x10000;  // the BMP (SentencePiece's meta space is U+2581)

struct MergeValue {
  uint32_t rank, new_id;
};

// Open-addressing map from a (left id, right id) pair to its merge: the
// hottest lookup of BPE, so no node allocations and one probe on average.
class MergeMap {
 public:
  void reserve(size_t n) {
    size_t cap = 16;
    unsigned bits = 4;
    while (cap < n * 2) {
      cap <<= 1;
      ++bits;
    }
    keys_.assign(cap, kEmpty);
    values_.assign(cap, {0, 0});
    new_ids_.assign(n, 0);
    mask_ = cap - 1;
    shift_ = 64 - bits;
  }
  // Later duplicates win, as when HF collects merges into a map.
  void insert(uint64_t key, MergeValue v) {
    size_t i = slot(key);
    keys_[i] = key;
    values_[i] = v;
    new_ids_[v.rank] = v.new_id;
  }
  uint32_t new_id(uint32_t rank) const { return new_ids_[rank]; }
  const MergeValue *find(uint64_t key) const {
    size_t i = slot(key);
    return keys_[i] == key ? &values_[i] : nullptr;
  }
  bool empty() const { return keys_.empty(); }

 private:
  static constexpr uint64_t kEmpty = ~0ull;
  size_t slot(uint64_t key) const {
    // Fibonacci hashing: the top bits of the product depend on every key bit
    // (its low bits would depend on the right id alone, and cluster).
    size_t i = static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
    while (keys_[i] != kEmpty && keys_[i] != key) i = (i + 1) & mask_;
    return i;
  }
  std::vector<uint64_t> keys_;
  std::vector<MergeValue> values_;
  std::vector<uint32_t> new_ids_;  // by rank
  size_t mask_ = 0;
  unsigned shift_ = 63;
};

inline uint64_t pair_key(uint32_t a, uint32_t b) { return (static_cast<uint64_t>(a) << 32) | b; }

struct Symbol {
  uint32_t id;
  uint32_t len;  // bytes of the piece covered; 0 once merged into the left neighbour
  int32_t prev, next;
};

// A queued merge is (rank << 32 | position): popped lowest rank first, then
// leftmost, as HF's BinaryHeap of Merge. Its new id is the rank's
// (MergeMap::new_id).
inline uint64_t queued(uint32_t rank, uint32_t pos) { return (static_cast<uint64_t>(rank) << 32) | pos; }

// A 4-ary min-heap of queued merges: half the depth of a binary heap, and the
// four children of a node share a cache line, which matters when one long
// word queues a merge per character.
class MergeQueue {
 public:
  void clear() { h_.clear(); }
  bool empty() const { return h_.empty(); }
  // Unordered insertion, then heapify() before the first pop.
  void add(uint64_t v) { h_.push_back(v); }
  void heapify() {
    if (h_.size() < 2) return;
    for (size_t i = (h_.size() - 2) / 4 + 1; i-- > 0;) sift_down(i, h_[i]);  // from the last parent
  }
  void push(uint64_t v) {
    size_t i = h_.size();
    h_.push_back(v);
    while (i > 0) {
      size_t parent = (i - 1) / 4;
      if (h_[parent] <= v) break;
      h_[i] = h_[parent];
      i = parent;
    }
    h_[i] = v;
  }
  uint64_t pop() {
    uint64_t top = h_[0], last = h_.back();
    h_.pop_back();
    if (!h_.empty()) sift_down(0, last);
    return top;
  }

 private:
  // Places v at hole i or below it.
  void sift_down(size_t i, uint64_t v) {
    size_t n = h_.size();
    for (;;) {
      size_t c = 4 * i + 1;
      if (c >= n) break;
      size_t best = c;
      size_t end = std::min(c + 4, n);
      for (size_t k = c + 1; k < end; ++k)
        if (h_[k] < h_[best]) best = k;
      if (h_[best] >= v) break;
      h_[i] = h_[best];
      i = best;
    }
    h_[i] = v;
  }
  std::vector<uint64_t> h_;
};

// A cached word: (id, byte length) pairs.
using CachedWord = std::vector<std::pair<uint32_t, uint32_t>>;

struct CacheShard {
  std::mutex mutex;
  std::unordered_map<std::string, CachedWord, StringHash, std::equal_to<>> map;
};

class Bpe final : public Model {
 public:
  Vocab vocab_;
  MergeMap merges_;
  std::optional<uint32_t> unk_id_;
  std::string prefix_, suffix_;
  bool fuse_unk_ = false, byte_fallback_ = false, ignore_merges_ = false;
  std::array<int64_t, 256> byte_ids_{};  // <0xXX> token ids, -1 when absent
  std::vector<int32_t> char_ids_;        // single code point < kCharTableSize -> id or -1
  mutable std::array<CacheShard, kCacheShards> cache_;

  const Vocab &vocab() const override { return vocab_; }
  const char *kind() const override { return "BPE"; }

  void finish_setup() {
    if (merges_.empty()) merges_.reserve(0);
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      auto id = vocab_.find(name);
      byte_ids_[static_cast<size_t>(b)] = id ? static_cast<int64_t>(*id) : -1;
    }
    // Single-character lookups without hashing (prefix/suffix change the key).
    if (prefix_.empty() && suffix_.empty()) {
      char_ids_.assign(kCharTableSize, -1);
      for (const auto &[token, id] : vocab_.map()) {
        if (token.empty() || utf8_lead_length(static_cast<unsigned char>(token[0])) != token.size()) continue;
        size_t i = 0;
        char32_t c = next_code_point(token, i);
        if (c < kCharTableSize) char_ids_[c] = static_cast<int32_t>(id);
      }
    }
  }

  void tokenize(std::string_view piece, std::vector<Token> &out) const override {
    if (piece.empty()) return;
    if (ignore_merges_) {
      if (auto id = vocab_.find(piece)) {
        out.push_back({*id, 0, static_cast<uint32_t>(piece.size())});
        return;
      }
    }
    CacheShard *shard = nullptr;
    if (piece.size() < kCacheMaxKeyBytes) {
      shard = &cache_[std::hash<std::string_view>{}(piece) % kCacheShards];
      std::lock_guard<std::mutex> lock(shard->mutex);
      auto it = shard->map.find(piece);
      if (it != shard->map.end()) {
        emit(it->second, out);
        return;
      }
    }
    CachedWord word = merge_word(piece);
    emit(word, out);
    if (shard) {
      std::lock_guard<std::mutex> lock(shard->mutex);
      if (shard->map.size() < kCacheEntriesPerShard) shard->map.emplace(std::string(piece), std::move(word));
    }
  }

 private:
  static void emit(const CachedWord &word, std::vector<Token> &out) {
    uint32_t offset = 0;
    for (auto [id, len] : word) {
      out.push_back({id, offset, offset + len});
      offset += len;
    }
  }

  std::optional<uint32_t> lookup_char(std::string_view piece, size_t b, size_t e, bool first, bool last,
                                      std::string &buf, char32_t c) const {
    if (!char_ids_.empty()) {
      if (c < kCharTableSize) {
        int32_t id = char_ids_[c];
        return id < 0 ? std::nullopt : std::optional<uint32_t>(static_cast<uint32_t>(id));
      }
      return vocab_.find(piece.substr(b, e - b));
    }
    buf.clear();
    if (!first) buf += prefix_;
    buf.append(piece.substr(b, e - b));
    if (last) buf += suffix_;
    return vocab_.find(buf);
  }

  CachedWord merge_word(std::string_view piece) const {
    thread_local std::vector<Symbol> symbols;
    thread_local MergeQueue queue;
    thread_local std::string buf;
    symbols.clear();
    queue.clear();
    auto add = [&](uint32_t id, size_t len) {
      int32_t n = static_cast<int32_t>(symbols.size());
      if (n > 0) symbols.back().next = n;
      symbols.push_back({id, static_cast<uint32_t>(len), n - 1, -1});
    };
    bool unk = false;  // a pending unknown run of unk_len bytes
    size_t unk_len = 0;
    size_t i = 0;
    while (i < piece.size()) {
      size_t b = i;
      char32_t c = next_code_point(piece, i);
      std::optional<uint32_t> id = lookup_char(piece, b, i, b == 0, i == piece.size(), buf, c);
      size_t len = i - b;
      if (id) {
        if (unk) {
          add(*unk_id_, unk_len);
          unk = false;
        }
        add(*id, len);
        continue;
      }
      if (byte_fallback_) {
        // HF looks the bytes up on the prefixed/suffixed string.
        std::string_view s = char_ids_.empty() ? std::string_view(buf) : piece.substr(b, len);
        bool all = std::all_of(s.begin(), s.end(), [&](char ch) { return byte_ids_[static_cast<unsigned char>(ch)] >= 0; });
        if (all) {
          // HF leaves a pending unknown run pending across byte tokens (it is
          // emitted after them); reproduced for parity.
          for (char ch : s) add(static_cast<uint32_t>(byte_ids_[static_cast<unsigned char>(ch)]), 1);
          continue;
        }
      }
      if (unk_id_) {
        if (unk && fuse_unk_) {
          unk_len += len;
        } else {
          if (unk) add(*unk_id_, unk_len);
          unk = true;
          unk_len = len;
        }
      }
    }
    if (unk) add(*unk_id_, unk_len);

    for (size_t k = 0; k + 1 < symbols.size(); ++k)
      if (const MergeValue *m = merges_.find(pair_key(symbols[k].id, symbols[k + 1].id)))
        queue.add(queued(m->rank, static_cast<uint32_t>(k)));
    queue.heapify();
    auto push = [&](const MergeValue *m, int32_t pos) { queue.push(queued(m->rank, static_cast<uint32_t>(pos))); };
    while (!queue.empty()) {
      uint64_t top = queue.pop();
      auto pos = static_cast<int32_t>(top & 0xFFFFFFFFu);
      uint32_t new_id = merges_.new_id(static_cast<uint32_t>(top >> 32));
      Symbol &cur = symbols[static_cast<size_t>(pos)];
      if (cur.len == 0 || cur.next == -1) continue;
      Symbol &right = symbols[static_cast<size_t>(cur.next)];
      // Stale when the pair there no longer makes this new id (HF compares
      // new ids, not ranks).
      const MergeValue *m = merges_.find(pair_key(cur.id, right.id));
      if (!m || m->new_id != new_id) continue;
      cur.id = new_id;
      cur.len += right.len;
      cur.next = right.next;
      right.len = 0;
      if (cur.next >= 0) symbols[static_cast<size_t>(cur.next)].prev = pos;
      if (cur.prev >= 0)
        if (const MergeValue *pm = merges_.find(pair_key(symbols[static_cast<size_t>(cur.prev)].id, cur.id)))
          push(pm, cur.prev);
      if (cur.next >= 0)
        if (const MergeValue *nm = merges_.find(pair_key(cur.id, symbols[static_cast<size_t>(cur.next)].id)))
          push(nm, pos);
    }
    CachedWord word;
    for (const Symbol &s : symbols)
      if (s.len != 0) word.emplace_back(s.id, s.len);
    return word;
  }
};

// One merge rule: "a b" (exactly one space) or ["a", "b"].
std::pair<std::string, std::string> parse_merge(const JsonView &list, size_t index, const cJSON *node) {
  if (cJSON_IsString(node)) {
    std::string_view s = node->valuestring;
    size_t sp = s.find(' ');
    if (sp == std::string_view::npos || s.find(' ', sp + 1) != std::string_view::npos)
      element_view(list, index, node)
          .fail_here(QEFF_E_FORMAT, "is not a merge \"a b\" of exactly two space-separated tokens: " + quote(s));
    return {std::string(s.substr(0, sp)), std::string(s.substr(sp + 1))};
  }
  if (cJSON_IsArray(node) && cJSON_GetArraySize(node) == 2 && cJSON_IsString(node->child) &&
      cJSON_IsString(node->child->next))
    return {node->child->valuestring, node->child->next->valuestring};
  element_view(list, index, node).type_error("a merge \"a b\" or [\"a\", \"b\"]");
}

}  // namespace

std::unique_ptr<Model> parse_bpe(const JsonView &v, const ParseContext &ctx) {
  auto m = std::make_unique<Bpe>();
  parse_vocab_object(v.get("vocab"), ctx.limits, m->vocab_);
  if (v.get("dropout").present())
    v.get("dropout").fail_here(QEFF_E_UNSUPPORTED, "is set: BPE dropout is random, and qeff tokenizes deterministically");
  m->prefix_ = v.opt_string("continuing_subword_prefix").value_or("");
  m->suffix_ = v.opt_string("end_of_word_suffix").value_or("");
  m->fuse_unk_ = v.opt_bool("fuse_unk").value_or(false);
  m->byte_fallback_ = v.opt_bool("byte_fallback").value_or(false);
  m->ignore_merges_ = v.opt_bool("ignore_merges").value_or(false);
  if (auto unk = v.opt_string("unk_token")) {
    m->unk_id_ = m->vocab_.find(*unk);
    if (!m->unk_id_) v.get("unk_token").fail_here(QEFF_E_FORMAT, "names " + quote(*unk) + ", which is not in the vocabulary");
  }
  JsonView merges = v.get("merges");
  if (merges.present()) {
    if (!merges.is_array()) merges.type_error("an array of merges");
    if (merges.size() > ctx.limits.merges)
      merges.fail_here(QEFF_E_LIMIT, "has " + std::to_string(merges.size()) + " merges, above the limit of " +
                                         std::to_string(ctx.limits.merges));
    m->merges_.reserve(merges.size());
    std::string joined;
    for_each_element(merges, [&](size_t i, const cJSON *node) {
      auto [a, b] = parse_merge(merges, i, node);
      auto fail_missing = [&](const std::string &tok) {
        element_view(merges, i, node).fail_here(QEFF_E_FORMAT, "uses token " + quote(tok) + ", which is not in the vocabulary");
      };
      auto ia = m->vocab_.find(a), ib = m->vocab_.find(b);
      if (!ia) fail_missing(a);
      if (!ib) fail_missing(b);
      if (b.size() < m->prefix_.size())
        element_view(merges, i, node).fail_here(QEFF_E_FORMAT, "has a right token shorter than the continuing_subword_prefix");
      joined = a;
      joined.append(b, m->prefix_.size(), std::string::npos);
      auto inew = m->vocab_.find(joined);
      if (!inew) fail_missing(joined);
      m->merges_.insert(pair_key(*ia, *ib), {static_cast<uint32_t>(i), *inew});
    });
  }
  m->finish_setup();
  return m;
}

}  // namespace qeff::tokenizer
