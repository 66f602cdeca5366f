// Focused tests of the tokenizer layer: each component's behaviour on small
// hand-written tokenizer.json files, the error of every bad-file class
// (RELIABILITY B7), hostile inputs (B8: invalid UTF-8, 1 MB without spaces,
// catastrophic regex), special tokens literal by default, decode errors,
// truncation/padding (also tokenizer.json's own blocks, B7.64, at the C ABI
// too), streaming, thread safety of a shared tokenizer.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/utf8.hpp"
#include "tokenizer/normalized_string.hpp"
#include "tokenizer/precompiled.hpp"
#include "tokenizer_test_support.hpp"
#include "unit_test.hpp"

namespace {

using namespace tokenizer_test;
using qeff::tokenizer::EncodeOptions;
using qeff::tokenizer::StreamDecoder;
using qeff::tokenizer::Tokenizer;
using qeff::tokenizer::TokenizerLimits;

// A small BPE over bytes a-d plus merges, with the given pipeline fragments.
std::string bpe_json(const std::string &extra, const std::string &model_extra = "") {
  return R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 2, "d": 3, "ab": 4, "abc": 5, "<unk>": 6, " ": 7},
             "merges": ["a b", ["ab", "c"]], "unk_token": "<unk>")" + model_extra + "}" + extra + "}";
}

std::shared_ptr<const Tokenizer> from(const std::string &json, const TokenizerLimits &limits = {}) {
  return Tokenizer::from_json(json, "tokenizer.json", limits);
}

TEST(TokenizerBpe, MergesInBothFormsAndUnknowns) {
  auto t = from(bpe_json(""));
  EXPECT_EQ(t->encode("abcd").ids, (std::vector<uint32_t>{5, 3}));
  EXPECT_EQ(t->encode("abxd").ids, (std::vector<uint32_t>{4, 6, 3}));  // x -> <unk>
  EXPECT_EQ(t->decode(std::vector<uint32_t>{5, 3}), "abc d");  // no decoder: tokens joined by spaces
}

TEST(TokenizerBpe, FuseUnkAndLongWordIsFast) {
  auto t = from(bpe_json("", R"(, "fuse_unk": true)"));
  EXPECT_EQ(t->encode("xyzab").ids, (std::vector<uint32_t>{6, 4}));
  // 1 MB without spaces: one piece, merged in O(n log n) (a hang is the
  // meson test timeout; no wall-clock assertion).
  std::string big(1 << 20, 'a');
  for (size_t i = 1; i < big.size(); i += 2) big[i] = 'b';
  EXPECT_EQ(t->encode(big).ids.size(), big.size() / 2);
}

TEST(TokenizerBpe, MergeOrderAndCharacterLookups) {
  // Expected ids from HF tokenizers 0.21.4: lowest rank first, then leftmost;
  // a repeated merge takes its later rank; characters above U+07FF and outside
  // the BMP are looked up as single tokens, else byte fallback, else unk.
  auto t = [](const std::string &merges) {
    return from(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "aa": 2, "ab": 3, "\u2581": 4, "\u4e2d": 5,
                   "\ud83d\ude00": 6, "<0xF0>": 7, "<0x9F>": 8, "<0x98>": 9, "<0x81>": 10, "<unk>": 11},
                   "merges": )" + merges + R"(, "unk_token": "<unk>", "byte_fallback": true}})");
  };
  using Ids = std::vector<uint32_t>;
  auto ab_first = t(R"(["a b", "a a"])"), aa_first = t(R"(["a a", "a b"])"), repeated = t(R"(["a a", "a b", "a a"])");
  EXPECT_EQ(ab_first->encode("aab").ids, (Ids{0, 3}));
  EXPECT_EQ(aa_first->encode("aab").ids, (Ids{2, 1}));
  EXPECT_EQ(repeated->encode("aab").ids, (Ids{0, 3}));
  EXPECT_EQ(ab_first->encode("aaa").ids, (Ids{2, 0}));
  EXPECT_EQ(ab_first->encode("aaaa").ids, (Ids{2, 2}));
  EXPECT_EQ(ab_first->encode("\xE2\x96\x81\xE4\xB8\xAD\xF0\x9F\x98\x80\xF0\x9F\x98\x81x").ids,
            (Ids{4, 5, 6, 7, 8, 9, 10, 11}));
}

TEST(TokenizerBpe, QueuedMergesMatchNaiveMerging) {
  // Random merge tables over a small alphabet (some merges make a token that
  // another pair already makes), random words short (cached) and long (not
  // cached): the priority-queue merge must equal repeatedly merging the
  // lowest-ranked adjacent pair, leftmost first.
  uint64_t x = 12345;
  auto next = [&](uint64_t n) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return (x >> 33) % n;
  };
  for (int table = 0; table < 4; ++table) {
    std::vector<std::string> tokens = {"a", "b", "c", "d", "e"};
    std::map<std::string, uint32_t> ids;
    for (uint32_t i = 0; i < tokens.size(); ++i) ids[tokens[i]] = i;
    std::map<std::pair<std::string, std::string>, size_t> rank;
    std::string merges;
    for (int k = 0; k < 400; ++k) {
      std::string l = tokens[next(tokens.size())], r = tokens[next(tokens.size())];
      if (l.size() + r.size() > 8 || rank.count({l, r})) continue;
      rank[{l, r}] = rank.size();
      merges += std::string(merges.empty() ? "" : ", ") + "\"" + l + " " + r + "\"";
      if (!ids.count(l + r)) {
        ids[l + r] = static_cast<uint32_t>(tokens.size());
        tokens.push_back(l + r);
      }
    }
    std::string vocab;
    for (const auto &[tok, id] : ids) vocab += std::string(vocab.empty() ? "" : ", ") + "\"" + tok + "\": " + std::to_string(id);
    auto t = from(R"({"model": {"type": "BPE", "vocab": {)" + vocab + "}, \"merges\": [" + merges + "]}}");
    for (int w = 0; w < 60; ++w) {
      std::string word(w % 10 == 0 ? 300 + next(300) : 1 + next(40), 'a');
      for (char &ch : word) ch = static_cast<char>('a' + next(5));
      std::vector<std::string> syms;
      for (char ch : word) syms.emplace_back(1, ch);
      for (;;) {
        size_t best = syms.size();
        for (size_t i = 0; i + 1 < syms.size(); ++i) {
          auto it = rank.find({syms[i], syms[i + 1]});
          if (it != rank.end() && (best == syms.size() || it->second < rank.at({syms[best], syms[best + 1]}))) best = i;
        }
        if (best == syms.size()) break;
        syms[best] += syms[best + 1];
        syms.erase(syms.begin() + static_cast<std::ptrdiff_t>(best) + 1);
      }
      std::vector<uint32_t> want;
      for (const auto &sym : syms) want.push_back(ids.at(sym));
      ASSERT_EQ(t->encode(word).ids, want) << "table " << table << ", word " << word;
      ASSERT_EQ(t->encode(word).ids, want) << "cached, table " << table << ", word " << word;
    }
  }
}

TEST(TokenizerErrors, BadFilesNameTheFieldAndValue) {
  EXPECT_QEFF_ERROR(from(bpe_json(R"(, "normalizer": {"type": "Fancy"})")), QEFF_E_UNSUPPORTED,
                    "tokenizer.json", "normalizer.type", "Fancy");
  EXPECT_QEFF_ERROR(from(bpe_json(R"(, "pre_tokenizer": {"type": "UnicodeScripts"})")), QEFF_E_UNSUPPORTED,
                    "pre_tokenizer.type", "UnicodeScripts");
  EXPECT_QEFF_ERROR(from(bpe_json(R"(, "decoder": {"type": "CTC"})")), QEFF_E_UNSUPPORTED, "decoder.type", "CTC");
  EXPECT_QEFF_ERROR(from(bpe_json(R"(, "post_processor": {"type": "Magic"})")), QEFF_E_UNSUPPORTED,
                    "post_processor.type", "Magic");
  EXPECT_QEFF_ERROR(from(R"({"model": {"type": "WordLevel", "vocab": {}}})"), QEFF_E_UNSUPPORTED, "model.type",
                    "WordLevel");
  // Merges: unknown token, three parts, wrong type.
  EXPECT_QEFF_ERROR(from(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a z"]}})"), QEFF_E_FORMAT,
                    "model.merges[0]", "\"z\"");
  EXPECT_QEFF_ERROR(from(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a a a"]}})"), QEFF_E_FORMAT,
                    "model.merges[0]");
  EXPECT_QEFF_ERROR(from(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a"]]}})"), QEFF_E_FORMAT,
                    "model.merges[0]");
  // unk_token not in the vocabulary fails at load (HF fails only at encode).
  EXPECT_QEFF_ERROR(from(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "unk_token": "<unk>"}})"),
                    QEFF_E_FORMAT, "model.unk_token", "<unk>");
  EXPECT_QEFF_ERROR(from(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 0}, "merges": []}})"), QEFF_E_FORMAT,
                    "model.vocab", "id 0");
  EXPECT_QEFF_ERROR(from(R"({"model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}})"), QEFF_E_FORMAT,
                    "model.vocab.a");
  EXPECT_QEFF_ERROR(from(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "dropout": 0.1}})"),
                    QEFF_E_UNSUPPORTED, "dropout");
  EXPECT_QEFF_ERROR(from(R"({"model": {"type": "Unigram", "vocab": [["a", "x"]]}})"), QEFF_E_FORMAT, "model.vocab[0]");
  EXPECT_QEFF_ERROR(from(R"({"model": {"type": "Unigram", "vocab": [["a", 0.0]], "unk_id": 3}})"), QEFF_E_FORMAT,
                    "model.unk_id");
  EXPECT_QEFF_ERROR(from(R"({"model": {"type": "WordPiece", "vocab": {"a": 0}}})"), QEFF_E_FORMAT, "[UNK]");
  EXPECT_QEFF_ERROR(from(bpe_json(R"(, "added_tokens": [{"id": 9, "content": "abc", "special": true}])")),
                    QEFF_E_FORMAT, "added_tokens[0].id", "abc");
  EXPECT_QEFF_ERROR(from("[]"), QEFF_E_FORMAT);
  EXPECT_QEFF_ERROR(from(R"({"model": )"), QEFF_E_FORMAT, "tokenizer.json");
  EXPECT_QEFF_ERROR(from(R"({"normalizer": null})"), QEFF_E_FORMAT, "model");
}

TEST(TokenizerErrors, RegexAndPrecompiled) {
  EXPECT_QEFF_ERROR(from(bpe_json(R"(, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(a"}, "behavior": "Isolated"})")),
                    QEFF_E_UNSUPPORTED, "pre_tokenizer.pattern.Regex", "(a");
  // A catastrophic pattern on a long input stops at the match limits.
  auto t = from(bpe_json(R"(, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(a+)+$"}, "behavior": "Isolated"})"));
  std::string evil(5000, 'a');
  evil += "!";
  EXPECT_QEFF_ERROR(t->encode(evil), QEFF_E_LIMIT, "matching limits");
  // Precompiled: not base64, truncated blob, trie size beyond the blob.
  EXPECT_QEFF_ERROR(from(bpe_json(R"(, "normalizer": {"type": "Precompiled", "precompiled_charsmap": "!!"})")),
                    QEFF_E_FORMAT, "precompiled_charsmap", "base64");
  EXPECT_QEFF_ERROR(from(bpe_json(R"(, "normalizer": {"type": "Precompiled", "precompiled_charsmap": "AAA="})")),
                    QEFF_E_FORMAT, "shorter than 4 bytes");
  EXPECT_QEFF_ERROR(from(bpe_json(R"(, "normalizer": {"type": "Precompiled", "precompiled_charsmap": "/////w=="})")),
                    QEFF_E_FORMAT, "exceeds the blob");
  // A corrupt trie never reads out of bounds: every transform is checked.
  std::string blob("\x08\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xffxyz", 15);
  auto map = qeff::tokenizer::PrecompiledCharsmap::parse(blob, "test");
  for (int c = 1; c < 256; ++c) (void)map.transform(std::string(1, static_cast<char>(c)) + "abc");
}

TEST(TokenizerErrors, Limits) {
  TokenizerLimits small;
  small.vocab_size = 4;
  EXPECT_QEFF_ERROR(from(bpe_json(""), small), QEFF_E_LIMIT, "model.vocab", "limit");
  small = {};
  small.token_bytes = 2;
  EXPECT_QEFF_ERROR(from(bpe_json(""), small), QEFF_E_LIMIT, "bytes", "limit of 2");
  small = {};
  small.merges = 1;
  EXPECT_QEFF_ERROR(from(bpe_json(""), small), QEFF_E_LIMIT, "model.merges", "limit of 1");
  small = {};
  small.input_bytes = 3;
  EXPECT_QEFF_ERROR(from(bpe_json(""), small)->encode("abcd"), QEFF_E_LIMIT, "4 bytes", "limit of 3");
  small = {};
  small.nesting = 1;
  EXPECT_QEFF_ERROR(from(bpe_json(R"(, "normalizer": {"type": "Sequence", "normalizers": [{"type": "Sequence", "normalizers": []}]})"), small),
                    QEFF_E_LIMIT, "normalizer.normalizers[0]");
}

TEST(TokenizerInput, InvalidUtf8NamesTheOffset) {
  auto t = from(bpe_json(""));
  for (auto [bytes, offset] : std::vector<std::pair<std::string, const char *>>{
           {"ab\x80", "offset 2"}, {"a\xE2\x82", "offset 1"}, {"\xC0\x80", "offset 0"},
           {"ab\xED\xA0\x80", "offset 2"}, {"\xF4\x90\x80\x80", "offset 0"}, {"\xFF", "offset 0"},
           {std::string("abc\xF0", 4), "offset 3"}})
    EXPECT_QEFF_ERROR(t->encode(bytes), QEFF_E_INVALID_ARGUMENT, "not valid UTF-8", offset);
  // Embedded NUL is an ordinary character.
  EXPECT_EQ(t->encode(std::string("a\0b", 3)).ids, (std::vector<uint32_t>{0, 6, 1}));
  EXPECT_TRUE(t->encode("").ids.empty());
}

TEST(TokenizerDecode, BadIdsAndByteFallback) {
  auto t = from(bpe_json(""));
  EXPECT_QEFF_ERROR(t->decode(std::vector<uint32_t>{0, 99, 1}), QEFF_E_INVALID_ARGUMENT, "id 99", "index 1");
  EXPECT_QEFF_ERROR(t->decode(std::vector<uint32_t>{UINT32_MAX}), QEFF_E_INVALID_ARGUMENT, "index 0");
  // Byte fallback decoding: a lone <0xC3> is U+FFFD in the full decode.
  auto sp = from(R"({"model": {"type": "BPE", "vocab": {"<unk>": 0, "<0xC3>": 1, "<0xA9>": 2, "a": 3, "<0x+A>": 4},
                     "merges": [], "byte_fallback": true, "unk_token": "<unk>"},
                    "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"}]}})");
  EXPECT_EQ(sp->encode("a\xC3\xA9").ids, (std::vector<uint32_t>{3, 1, 2}));
  EXPECT_EQ(sp->encode("\xC3\xA8").ids, (std::vector<uint32_t>{0}));  // <0xA8> missing: unk for the character
  EXPECT_EQ(sp->decode(std::vector<uint32_t>{3, 1}), "a\xEF\xBF\xBD");
  EXPECT_EQ(sp->decode(std::vector<uint32_t>{3, 4}), "a\n");  // HF parses the hex with from_str_radix: "+A" is 10
}

TEST(TokenizerDecode, StreamHoldsByteRunsUntilTheyEnd) {
  // HF's ByteFallback decodes a run of byte tokens as a whole: UTF-8 when all
  // of it is valid, else U+FFFD per byte. The stream emits nothing of a run
  // until a token that is not a byte token ends it, so that it always
  // concatenates to decode(all ids), even when the stream stops mid-character.
  auto t = from(R"({"model": {"type": "BPE", "vocab": {"<unk>": 0, "<0xC3>": 1, "<0xA9>": 2, "a": 3, "<s>": 4},
                    "merges": [], "byte_fallback": true, "unk_token": "<unk>"},
                   "added_tokens": [{"id": 4, "content": "<s>", "special": true}],
                   "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"}]}})");
  const std::string fffd = "\xEF\xBF\xBD";
  auto stream = [&](const std::vector<uint32_t> &ids, bool skip, std::vector<std::string> pieces) {
    StreamDecoder d(t, skip);
    std::string all;
    for (size_t i = 0; i < ids.size(); ++i) {
      std::string piece = d.step(ids[i]);
      EXPECT_EQ(piece, pieces[i]) << "step " << i;
      all += piece;
    }
    std::string rest = d.finish();
    EXPECT_EQ(rest, pieces.back()) << "finish";
    EXPECT_EQ(all + rest, t->decode(ids, skip));
  };
  // a é <0xC3> then the end: HF decodes the whole run as three U+FFFD.
  stream({3, 1, 2, 1}, false, {"a", "", "", "", fffd + fffd + fffd});
  // a é a: the run is final once "a" ends it.
  stream({3, 1, 2, 3, 3}, false, {"a", "", "", "\xC3\xA9" "a", "a", ""});
  // An invalid run ended by a token.
  stream({1, 2, 1, 3}, false, {"", "", "", fffd + fffd + fffd + "a", ""});
  // A special token inside a run: kept, it ends the run; skipped, the run goes on.
  stream({1, 4, 2, 3}, false, {"", fffd + "<s>", "", fffd + "a", ""});
  stream({1, 4, 2, 3}, true, {"", "", "", "\xC3\xA9" "a", ""});
  // An id that is not a token is rejected before it enters the stream.
  StreamDecoder d(t);
  EXPECT_EQ(d.step(1), "");
  EXPECT_QEFF_ERROR(d.step(99), QEFF_E_INVALID_ARGUMENT, "id 99");
  EXPECT_EQ(d.step(2), "");
  EXPECT_EQ(d.finish(), "\xC3\xA9");
}

TEST(TokenizerSpecial, LiteralByDefaultForEverySpecialToken) {
  std::string d = shared_data();
  // Not the generated Unigrams: their vocabularies hold the special strings as
  // ordinary pieces, so Viterbi yields those ids from literal text, as HF does
  // (UnigramPiecesEqualToSpecialsFollowHf).
  std::vector<std::string> dirs = {tests_dir() + "/generated/bpe_bytelevel", tests_dir() + "/generated/wordpiece",
                                   tests_dir() + "/generated/bpe_sentencepiece"};
  if (!d.empty())
    for (const char *n : {"gpt2", "llama2", "bert-uncased-minilm", "falcon"}) dirs.push_back(d + "/tokenizers/" + n);
  for (const std::string &dir : dirs) {
    auto t = load_dir(dir);
    for (uint32_t id = 0; id < t->vocab_size() + 64; ++id) {
      if (!t->is_special(id)) continue;
      std::string text = "x " + *t->id_to_token(id) + " y";
      EncodeOptions plain;
      plain.add_special_tokens = false;
      for (uint32_t got : t->encode(text, plain).ids)
        EXPECT_FALSE(t->is_special(got)) << dir << ": special " << *t->id_to_token(id) << " parsed from user text";
      plain.parse_special = true;
      auto ids = t->encode(text, plain).ids;
      EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end()) << dir << ": " << *t->id_to_token(id);
    }
  }
}

TEST(TokenizerSpecial, UnigramPiecesEqualToSpecialsFollowHf) {
  // XLM-R's <s> <pad> </s> <unk> <mask> are special added tokens and also
  // Unigram pieces of score 0. Literal by default means the added-token pass
  // leaves the text alone; the model then scores "<s>" like any piece and HF
  // (tokenizers 0.21.4, encode_special_tokens=True) yields id 0 for it.
  auto t = load_dir(tests_dir() + "/generated/unigram_xlmr");
  using Ids = std::vector<uint32_t>;
  EncodeOptions o;
  o.add_special_tokens = false;
  auto literal = t->encode("hello <s> world", o);
  EXPECT_EQ(literal.ids, (Ids{4, 46, 33, 33, 10, 4, 0, 4, 48, 10, 8, 33, 74}));
  EXPECT_EQ(literal.offsets[6], (qeff::tokenizer::Span{6, 9}));
  EXPECT_EQ(t->encode("fill the <mask>.", o).ids, (Ids{4, 64, 25, 33, 33, 4, 38, 35, 4, 144, 22}));
  o.parse_special = true;  // matched as an added token: <mask> takes its lstrip space
  EXPECT_EQ(t->encode("fill the <mask>.", o).ids, (Ids{4, 64, 25, 33, 33, 4, 38, 35, 144, 4, 22}));
}

TEST(TokenizerEncode, TruncationPaddingMasks) {
  auto t = load_dir(tests_dir() + "/generated/wordpiece");
  EncodeOptions o;
  o.truncation = qeff::tokenizer::TruncationParams{6};
  auto e = t->encode("hello world hello world hello world", o);
  EXPECT_EQ(e.ids.size(), 6u);
  EXPECT_EQ(e.ids.front(), *t->token_to_id("[CLS]"));
  EXPECT_EQ(e.ids.back(), *t->token_to_id("[SEP]"));
  auto p = t->encode_pair("hello world hello", "hello", o);
  EXPECT_EQ(p.ids.size(), 6u);
  EXPECT_EQ(p.type_ids.back(), 1u);
  EncodeOptions pad;
  pad.padding = qeff::tokenizer::PaddingParams{};
  pad.padding->pad_to_multiple_of = 8;
  pad.padding->direction = qeff::tokenizer::Direction::Left;
  std::vector<std::string_view> texts = {"hello", "hello world hello world"};
  auto b = t->encode_batch(texts, pad);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].ids.size() % 8, 0u);
  EXPECT_EQ(b[0].ids.size(), b[1].ids.size());
  EXPECT_EQ(b[0].attention_mask.front(), 0);
  EXPECT_EQ(b[0].attention_mask.back(), 1);
  o.truncation->max_length = 1;  // smaller than the two special tokens
  EXPECT_QEFF_ERROR(t->encode("hello", o), QEFF_E_INVALID_ARGUMENT, "max_length 1");
}

// tokenizer.json's "truncation" and "padding" blocks (RELIABILITY B7.64),
// against HF tokenizers 0.21.4 and transformers 4.47.1: transformers refuses
// at load a stride above the effective max length (max_length minus the
// special tokens the template adds to one text) and tokenizers' encode panics
// on one equal to it, so qeff refuses both (CONFIG naming the field); both
// load max_length 0 (HF's Tokenizer then keeps no token, transformers never
// applies the block: neither does qeff, truncation is per call). HF pads with
// any u32 pad_id, also one that is no token (its decode then drops it): qeff
// refuses that at load. Each case through Tokenizer::from_json and through
// qeff_tokenizer_load on a directory.
struct FileBlocks {
  std::string blocks;  // members after "model"
  qeff_status status;
  std::vector<std::string> message;  // pieces of the error message
  int32_t pad_id = -1;               // what a call asking for padding pads with; -1: no pad token
};

std::string missing_pieces(const std::string &message, const std::vector<std::string> &pieces) {
  std::string missing;
  for (const std::string &p : pieces)
    if (message.find(p) == std::string::npos) missing += " \"" + p + "\"";
  return missing;
}

std::vector<FileBlocks> file_block_cases() {
  const std::string trunc = R"(, "truncation": {"direction": "Right", "strategy": "LongestFirst", )";
  const std::string bert = R"(, "post_processor": {"type": "BertProcessing", "sep": ["d", 3], "cls": ["c", 2]})";
  const std::string pad = R"(, "padding": {"strategy": "BatchLongest", "direction": "Right", "pad_token": "[PAD]", )";
  const std::string added = R"(, "added_tokens": [{"id": 8, "content": "<pad>", "special": true}])";
  const std::vector<std::string> ok;
  return {
      {trunc + R"("max_length": 0, "stride": 0})", QEFF_OK, ok},
      {trunc + R"("max_length": 4, "stride": 3})", QEFF_OK, ok},
      {trunc + R"("max_length": 4, "stride": 1})" + bert, QEFF_OK, ok},
      {trunc + R"("max_length": 1, "stride": 0})" + bert, QEFF_OK, ok},  // below the template: HF never cuts
      {trunc + R"("max_length": 4, "stride": 4})", QEFF_E_CONFIG, {"truncation.stride", "= 4", "effective max length 4"}},
      {trunc + R"("max_length": 4, "stride": 9})", QEFF_E_CONFIG, {"truncation.stride", "= 9", "effective max length 4"}},
      {trunc + R"("max_length": 0, "stride": 1})", QEFF_E_CONFIG, {"truncation.stride", "= 1", "effective max length 0"}},
      {trunc + R"("max_length": 4, "stride": 2})" + bert, QEFF_E_CONFIG,
       {"truncation.stride", "= 2", "effective max length 2", "max_length 4 minus 2 special tokens"}},
      {trunc + R"("max_length": 4, "stride": -1})", QEFF_E_FORMAT, {"truncation.stride", "-1"}},
      {trunc + R"("max_length": -1, "stride": 0})", QEFF_E_FORMAT, {"truncation.max_length", "-1"}},
      {pad + R"("pad_id": 7, "pad_type_id": 0, "pad_to_multiple_of": null})", QEFF_OK, ok, 7},
      {pad + R"("pad_id": 8})" + added, QEFF_OK, ok, 8},  // an added token outside the model vocabulary
      {R"(, "padding": {"strategy": {"Fixed": 0}, "pad_id": 0})", QEFF_OK, ok, 0},  // HF: pads nothing
      {pad + R"("pad_id": 99})", QEFF_E_CONFIG, {"padding.pad_id", "= 99", "not a token", "vocabulary size 8"}},
      {pad + R"("pad_id": 8})", QEFF_E_CONFIG, {"padding.pad_id", "= 8", "vocabulary size 8"}},
      {pad + R"("pad_id": 4294967295})" + added, QEFF_E_CONFIG, {"padding.pad_id", "= 4294967295"}},
      {pad + R"("pad_id": -1})", QEFF_E_FORMAT, {"padding.pad_id", "-1"}},
  };
}

TEST(TokenizerFileBlocks, TruncationAndPaddingAreCheckedAsHf) {
  for (const FileBlocks &c : file_block_cases()) {
    std::string json = bpe_json(c.blocks);
    bool bert = c.blocks.find("BertProcessing") != std::string::npos;
    try {
      auto t = from(json);
      EXPECT_EQ(c.status, QEFF_OK) << c.blocks << ": loaded";
      // The file's truncation is never applied: the whole text is encoded.
      std::vector<uint32_t> whole = bert ? std::vector<uint32_t>{2, 5, 5, 5, 3} : std::vector<uint32_t>{5, 5, 5};
      EXPECT_EQ(t->encode("abcabcabc").ids, whole) << c.blocks;
      if (t->file_padding()) {
        EXPECT_TRUE(t->id_to_token(t->file_padding()->pad_id)) << c.blocks;
      }
    } catch (const qeff::Error &e) {
      EXPECT_EQ(e.status(), c.status) << c.blocks << ": " << e.what();
      EXPECT_EQ(missing_pieces(e.what(), c.message), "") << e.what();
      EXPECT_EQ(missing_pieces(e.what(), {"tokenizer.json: field"}), "") << e.what();
    }
  }
}

TEST(TokenizerFileBlocks, CheckedAtTheCAbi) {
  TempDir dir("tok_file_blocks");
  std::string file = (std::filesystem::canonical(dir.path()) / "tokenizer.json").string();
  for (const FileBlocks &c : file_block_cases()) {
    dir.write("tokenizer.json", bpe_json(c.blocks));
    qeff_tokenizer *t = reinterpret_cast<qeff_tokenizer *>(1);
    qeff_status s = qeff_tokenizer_load(dir.path().c_str(), nullptr, &t);
    EXPECT_EQ(s, c.status) << c.blocks << ": " << qeff_last_error_message();
    if (s != QEFF_OK) {
      EXPECT_EQ(t, nullptr);
      std::vector<std::string> pieces = c.message;
      pieces.push_back(file);
      EXPECT_EQ(missing_pieces(qeff_last_error_message(), pieces), "") << qeff_last_error_message();
      continue;
    }
    // Padding asked by the call uses the file's pad_id (no pad_token in a
    // tokenizer_config.json here); the file's truncation is not applied.
    qeff_options *o = nullptr;
    ASSERT_EQ(qeff_options_create(&o), QEFF_OK);
    ASSERT_EQ(qeff_options_set_string(o, "tokenize.padding", "longest"), QEFF_OK);
    const char *texts[] = {"abcabcabc", "ab"};
    qeff_encoding *e = nullptr;
    qeff_status es = qeff_tokenizer_encode_batch(t, texts, nullptr, 2, o, &e);
    if (c.pad_id < 0) {
      EXPECT_EQ(es, QEFF_E_INVALID_ARGUMENT) << c.blocks << ": no pad token";
    } else {
      ASSERT_EQ(es, QEFF_OK) << c.blocks << ": " << qeff_last_error_message();
      const int32_t *ids = nullptr, *mask = nullptr;
      size_t n0 = 0, n1 = 0;
      ASSERT_EQ(qeff_encoding_row(e, 0, &ids, nullptr, &n0), QEFF_OK);
      ASSERT_EQ(qeff_encoding_row(e, 1, &ids, &mask, &n1), QEFF_OK);
      ASSERT_EQ(n0, 3u);
      ASSERT_EQ(n1, 3u);
      EXPECT_EQ(std::vector<int32_t>(ids, ids + 3), (std::vector<int32_t>{4, c.pad_id, c.pad_id})) << c.blocks;
      EXPECT_EQ(std::vector<int32_t>(mask, mask + 3), (std::vector<int32_t>{1, 0, 0}));
    }
    qeff_encoding_free(e);
    qeff_options_free(o);
    qeff_tokenizer_free(t);
  }
}

TEST(TokenizerLoad, VocabTxtOnlyMatchesTokenizerJson) {
  std::string d = shared_data();
  if (d.empty()) GTEST_SKIP() << "../shared/data/tokenizers is absent (set QEFF_SHARED_DATA)";
  // A directory with only vocab.txt and the configs.
  TempDir tmp("vocab_txt");
  for (const char *f : {"vocab.txt", "tokenizer_config.json", "special_tokens_map.json"})
    tmp.write(f, read_file(d + "/tokenizers/bert-uncased-minilm/" + f));
  auto txt = load_dir(tmp.path());
  auto json = load_dir(d + "/tokenizers/bert-uncased-minilm");
  Corpus c = load_corpus();
  size_t same = 0;
  for (const std::string &s : c.strings) same += txt->encode(s).ids == json->encode(s).ids;
  EXPECT_EQ(same, c.strings.size());
  EXPECT_EQ(txt->pad_id(), json->pad_id());
}

TEST(TokenizerLoad, MissingAndSentencePieceOnly) {
  TempDir tmp("tok_empty");
  EXPECT_QEFF_ERROR(load_dir(tmp.path()), QEFF_E_NOT_FOUND, "no tokenizer.json");
  tmp.write("tokenizer.model", "x");
  EXPECT_QEFF_ERROR(load_dir(tmp.path()), QEFF_E_UNSUPPORTED, "tokenizer.model");
}

TEST(TokenizerThreads, SharedTokenizerGivesSameIds) {
  std::string d = shared_data();
  auto t = load_dir(d.empty() ? tests_dir() + "/generated/bpe_bytelevel" : d + "/tokenizers/gpt2");
  Corpus c = load_corpus();
  std::vector<std::vector<uint32_t>> want;
  for (const auto &s : c.strings) want.push_back(t->encode(s).ids);
  std::vector<std::thread> threads;
  std::atomic<size_t> bad{0};
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&] {
      for (size_t i = 0; i < c.strings.size(); ++i)
        if (t->encode(c.strings[i]).ids != want[i]) ++bad;
    });
  for (auto &th : threads) th.join();
  EXPECT_EQ(bad.load(), 0u);
}

TEST(TokenizerNormalizedString, AlignmentsFollowHf) {
  using qeff::tokenizer::NormalizedString;
  NormalizedString s("e\xCC\x81x", 10);  // e + U+0301 + x
  s.normalize_unicode(qeff::tokenizer::NormalForm::NFC);
  EXPECT_EQ(s.get(), "\xC3\xA9x");
  qeff::tokenizer::Span o;
  ASSERT_TRUE(s.to_original(0, 2, o));
  EXPECT_EQ(o, (qeff::tokenizer::Span{0, 1}));  // HF aligns the composed char to its first code point
  s.prepend("_");
  EXPECT_EQ(s.get(), "_\xC3\xA9x");
  s.lowercase();
  EXPECT_EQ(s.original_shift(), 10u);
}

}  // namespace
