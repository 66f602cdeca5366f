// Tokenizers at the C ABI: loading from a directory or a model, ids against
// the committed HuggingFace references, errors, NUL in text, batch padding and
// streaming decode. Links only libqeff.so.
#include <cjson/cJSON.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "api_test.hpp"
#include "model_writer.hpp"

namespace {

namespace fs = std::filesystem;

std::string fixture(const std::string &name) { return qeff_test::fixtures_dir() + "/models/" + name; }

// tests/tokenizer (QEFF_TOKENIZER_TESTS).
std::string tokenizer_tests() {
  const char *e = std::getenv("QEFF_TOKENIZER_TESTS");
  return e ? e : "tests/tokenizer";
}

// ../shared/data/tokenizers (QEFF_SHARED_DATA), or "" when absent.
std::string shared_tokenizers() {
  const char *e = std::getenv("QEFF_SHARED_DATA");
  if (e == nullptr) return "";
  std::string d = std::string(e) + "/tokenizers";
  return fs::is_directory(d) ? d : "";
}

// Owns a qeff_tokenizer.
struct Tok {
  qeff_tokenizer *t = nullptr;
  Tok() = default;
  explicit Tok(const std::string &dir, const qeff_options *o = nullptr) {
    EXPECT_EQ(qeff_tokenizer_load(dir.c_str(), o, &t), QEFF_OK) << dir << ": " << qeff_last_error_message();
  }
  ~Tok() { qeff_tokenizer_free(t); }
  Tok(const Tok &) = delete;
  Tok &operator=(const Tok &) = delete;
  operator qeff_tokenizer *() const { return t; }
};

struct Options {
  qeff_options *o = nullptr;
  Options() { qeff_options_create(&o); }
  ~Options() { qeff_options_free(o); }
  Options &set(const char *key, const char *value) {
    EXPECT_EQ(qeff_options_set(o, key, value), QEFF_OK) << qeff_last_error_message();
    return *this;
  }
  operator qeff_options *() const { return o; }
};

struct Row {
  std::vector<int32_t> ids, mask;
  std::vector<size_t> offsets;
};

std::vector<Row> rows_of(const qeff_encoding *e) {
  std::vector<Row> rows;
  size_t n = 0;
  EXPECT_EQ(qeff_encoding_num_rows(e, &n), QEFF_OK);
  for (size_t r = 0; r < n; ++r) {
    const int32_t *ids = nullptr, *mask = nullptr;
    const size_t *off = nullptr;
    size_t len = 0, len2 = 0;
    EXPECT_EQ(qeff_encoding_row(e, r, &ids, &mask, &len), QEFF_OK);
    EXPECT_EQ(qeff_encoding_offsets(e, r, &off, &len2), QEFF_OK);
    EXPECT_EQ(len, len2);
    Row row;
    if (len) {
      row.ids.assign(ids, ids + len);
      row.mask.assign(mask, mask + len);
      row.offsets.assign(off, off + 2 * len);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Row encode(const qeff_tokenizer *t, const std::string &text, const qeff_options *o = nullptr) {
  qeff_encoding *e = nullptr;
  EXPECT_EQ(qeff_tokenizer_encode(t, text.data(), text.size(), o, &e), QEFF_OK) << qeff_last_error_message();
  if (e == nullptr) return {};
  std::vector<Row> rows = rows_of(e);
  qeff_encoding_free(e);
  EXPECT_EQ(rows.size(), 1u);
  return rows.empty() ? Row{} : rows[0];
}

std::vector<Row> encode_batch(const qeff_tokenizer *t, const std::vector<std::string> &texts,
                              const qeff_options *o = nullptr) {
  std::vector<const char *> p;
  std::vector<size_t> n;
  for (const auto &s : texts) p.push_back(s.data()), n.push_back(s.size());
  qeff_encoding *e = nullptr;
  EXPECT_EQ(qeff_tokenizer_encode_batch(t, p.data(), n.data(), p.size(), o, &e), QEFF_OK)
      << qeff_last_error_message();
  std::vector<Row> rows = e ? rows_of(e) : std::vector<Row>{};
  qeff_encoding_free(e);
  return rows;
}

std::string decode(const qeff_tokenizer *t, const std::vector<int32_t> &ids, bool skip = false) {
  char *s = nullptr;
  size_t n = 0;
  EXPECT_EQ(qeff_tokenizer_decode(t, ids.data(), ids.size(), skip ? 1 : 0, &s, &n), QEFF_OK)
      << qeff_last_error_message();
  std::string out = s ? std::string(s, n) : std::string();
  if (s) {
    EXPECT_EQ(s[n], '\0');
  }
  qeff_string_free(s);
  return out;
}

// Streams `ids` through a decoder; every piece must be complete UTF-8.
std::string stream(const qeff_tokenizer *t, const std::vector<int32_t> &ids, bool skip = false) {
  qeff_decoder *d = nullptr;
  EXPECT_EQ(qeff_decoder_create(t, skip ? 1 : 0, &d), QEFF_OK);
  std::string out;
  for (int32_t id : ids) {
    const char *piece = nullptr;
    size_t n = 0;
    EXPECT_EQ(qeff_decoder_step(d, id, &piece, &n), QEFF_OK) << qeff_last_error_message();
    std::string p(piece, n);
    // Complete UTF-8: the piece does not end inside a multi-byte sequence.
    size_t k = p.size();
    while (k > 0 && (static_cast<unsigned char>(p[k - 1]) & 0xC0) == 0x80) --k;
    if (k > 0) {
      unsigned char lead = static_cast<unsigned char>(p[k - 1]);
      size_t want = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
      EXPECT_EQ(p.size() - (k - 1), want) << "incomplete UTF-8 piece";
    } else {
      EXPECT_TRUE(p.empty()) << "piece starts with a continuation byte";
    }
    out += p;
  }
  const char *rest = nullptr;
  size_t n = 0;
  EXPECT_EQ(qeff_decoder_finish(d, &rest, &n), QEFF_OK);
  out += std::string(rest, n);
  qeff_decoder_free(d);
  return out;
}

// cJSON documents: the corpus and the reference lines.
struct Json {
  cJSON *root = nullptr;
  explicit Json(const std::string &text) : root(cJSON_ParseWithLength(text.data(), text.size())) {}
  ~Json() { cJSON_Delete(root); }
  Json(const Json &) = delete;
  Json &operator=(const Json &) = delete;
};

// JSON text, or {"hex": "..."} for strings holding NUL.
std::string stored_text(const cJSON *s) {
  if (cJSON_IsString(s)) return s->valuestring;
  std::string hex = cJSON_GetObjectItem(s, "hex")->valuestring, bytes;
  for (size_t k = 0; k + 1 < hex.size(); k += 2)
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(k, 2), nullptr, 16)));
  return bytes;
}

template <typename T>
std::vector<T> numbers(const cJSON *a) {
  std::vector<T> v;
  const cJSON *x;
  cJSON_ArrayForEach(x, a) v.push_back(static_cast<T>(x->valuedouble));
  return v;
}

std::vector<std::string> corpus() {
  Json doc(qeff_test::read_file(tokenizer_tests() + "/corpus.json"));
  std::vector<std::string> out;
  const cJSON *s;
  cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc.root, "strings")) out.push_back(stored_text(s));
  return out;
}

// Compares ids (literal and parsed specials, without post-processing),
// offsets and decodes with reference/<name>.jsonl for every corpus string.
void check_reference(const std::string &dir, const std::string &name, const std::vector<std::string> &texts) {
  SCOPED_TRACE(name);
  Tok t(dir);
  ASSERT_NE(t.t, nullptr);
  Options parse, plain;
  parse.set("tokenize.parse_special", "true");
  plain.set("tokenize.parse_special", "true").set("tokenize.add_special_tokens", "false");
  std::string lines = qeff_test::read_file(tokenizer_tests() + "/reference/" + name + ".jsonl");
  ASSERT_FALSE(lines.empty());
  size_t start = 0, i = 0, compared = 0;
  while (start < lines.size() && i < texts.size()) {
    size_t nl = lines.find('\n', start);
    if (nl == std::string::npos) nl = lines.size();
    Json line(lines.substr(start, nl - start));
    start = nl + 1;
    const std::string &text = texts[i++];
    const cJSON *ids = cJSON_GetObjectItem(line.root, "ids");
    ASSERT_NE(ids, nullptr);
    SCOPED_TRACE("corpus string " + std::to_string(i - 1));
    Row r = encode(t, text);
    auto want = numbers<int32_t>(ids);
    EXPECT_EQ(r.ids, want);
    EXPECT_EQ(r.offsets, numbers<size_t>(cJSON_GetObjectItem(line.root, "offsets")));
    EXPECT_EQ(r.mask, std::vector<int32_t>(want.size(), 1));
    const cJSON *special = cJSON_GetObjectItem(line.root, "ids_special");
    auto want_special = special ? numbers<int32_t>(special) : want;
    EXPECT_EQ(encode(t, text, parse).ids, want_special);
    const cJSON *p = cJSON_GetObjectItem(line.root, "ids_plain");
    EXPECT_EQ(encode(t, text, plain).ids, p ? numbers<int32_t>(p) : want_special);
    EXPECT_EQ(decode(t, want), stored_text(cJSON_GetObjectItem(line.root, "decode")));
    EXPECT_EQ(decode(t, want, true), stored_text(cJSON_GetObjectItem(line.root, "decode_skip")));
    ++compared;
  }
  EXPECT_EQ(compared, texts.size());
}

TEST(TokenizerApi, ReferenceIdsGenerated) {
  std::vector<std::string> texts = corpus();
  ASSERT_GT(texts.size(), 300u);
  for (const char *name : {"wordpiece", "wordpiece_variant", "bpe_bytelevel", "bpe_sentencepiece", "unigram"})
    check_reference(tokenizer_tests() + "/generated/" + name, name, texts);
}

TEST(TokenizerApi, ReferenceIdsShared) {
  std::string shared = shared_tokenizers();
  if (shared.empty()) GTEST_SKIP() << "no ../shared/data/tokenizers (QEFF_SHARED_DATA)";
  std::vector<std::string> texts = corpus();
  for (const char *name : {"gpt2", "llama2", "bert-uncased-minilm", "falcon"})
    if (fs::is_directory(shared + "/" + name)) check_reference(shared + "/" + name, name, texts);
}

TEST(TokenizerApi, FixturesFromDirectoryAndModel) {
  struct Case {
    const char *name;
    int32_t bos, eos, pad;
    size_t vocab;
  };
  for (const Case &c : {Case{"bert-tiny", -1, -1, 0, 512}, Case{"llama-tiny", 1, 2, 0, 512},
                        Case{"gpt2-tiny", 511, 511, 511, 512}}) {
    SCOPED_TRACE(c.name);
    Tok t(fixture(c.name));
    ASSERT_NE(t.t, nullptr);
    size_t vocab = 0;
    ASSERT_QEFF_OK(qeff_tokenizer_vocab_size(t, &vocab));
    EXPECT_EQ(vocab, c.vocab);
    int32_t id = -5;
    for (auto [which, want] : {std::pair{QEFF_SPECIAL_BOS, c.bos}, std::pair{QEFF_SPECIAL_EOS, c.eos},
                               std::pair{QEFF_SPECIAL_PAD, c.pad}}) {
      if (want < 0) {
        EXPECT_QEFF_ERROR(qeff_tokenizer_special_id(t, which, &id), QEFF_E_NOT_FOUND);
      } else {
        ASSERT_QEFF_OK(qeff_tokenizer_special_id(t, which, &id));
        EXPECT_EQ(id, want);
      }
    }
    EXPECT_QEFF_ERROR(qeff_tokenizer_special_id(t, static_cast<qeff_special_token>(99), &id),
                      QEFF_E_INVALID_ARGUMENT, "99");

    // token <-> id round trip over the whole vocabulary.
    for (int32_t i = 0; i < static_cast<int32_t>(vocab); ++i) {
      const char *s = nullptr;
      size_t n = 0;
      ASSERT_QEFF_OK(qeff_tokenizer_id_to_token(t, i, &s, &n));
      ASSERT_EQ(std::strlen(s), n);
      int32_t back = -1;
      ASSERT_QEFF_OK(qeff_tokenizer_token_to_id(t, s, &back));
      EXPECT_EQ(back, i) << s;
    }
    const char *s = nullptr;
    EXPECT_QEFF_ERROR(qeff_tokenizer_id_to_token(t, static_cast<int32_t>(vocab), &s, nullptr), QEFF_E_NOT_FOUND);
    EXPECT_EQ(s, nullptr);
    EXPECT_QEFF_ERROR(qeff_tokenizer_id_to_token(t, -1, &s, nullptr), QEFF_E_NOT_FOUND);
    EXPECT_QEFF_ERROR(qeff_tokenizer_token_to_id(t, "no such token \xE2\x80\xBD", &id), QEFF_E_NOT_FOUND);

    // The model's tokenizer gives the same ids, and outlives the model.
    qeff_model *m = nullptr;
    ASSERT_QEFF_OK(load(fixture(c.name), &m));
    qeff_tokenizer *mt = nullptr, *mt2 = nullptr;
    ASSERT_QEFF_OK(qeff_model_tokenizer(m, &mt));
    ASSERT_QEFF_OK(qeff_model_tokenizer(m, &mt2));
    qeff_model_free(m);
    const std::string text = "Hello world, tokenizers! caf\xC3\xA9 \xF0\x9F\x98\x80 [CLS] <s>";
    Row a = encode(t, text), b = encode(mt, text);
    EXPECT_FALSE(a.ids.empty());
    EXPECT_EQ(a.ids, b.ids);
    EXPECT_EQ(a.offsets, b.offsets);
    EXPECT_EQ(encode(mt2, text).ids, a.ids);
    qeff_tokenizer_free(mt);
    qeff_tokenizer_free(mt2);
  }
}

TEST(TokenizerApi, SpecialStringsAreLiteralByDefault) {
  Tok t(fixture("gpt2-tiny"));
  const std::string text = "a<|endoftext|>b";
  Row literal = encode(t, text);
  for (int32_t id : literal.ids) EXPECT_NE(id, 511);
  Options parse;
  parse.set("tokenize.parse_special", "true");
  Row parsed = encode(t, text, parse);
  EXPECT_NE(std::find(parsed.ids.begin(), parsed.ids.end(), 511), parsed.ids.end());
  // Both decode back to the text; skipping specials drops only the parsed one.
  EXPECT_EQ(decode(t, literal.ids), text);
  EXPECT_EQ(decode(t, parsed.ids), text);
  EXPECT_EQ(decode(t, parsed.ids, true), "ab");
  EXPECT_EQ(decode(t, literal.ids, true), text);

  // add_special_tokens: llama-tiny adds <s> (id 1) unless told not to.
  Tok l(fixture("llama-tiny"));
  EXPECT_EQ(encode(l, "hi").ids.front(), 1);
  Options no_specials;
  no_specials.set("tokenize.add_special_tokens", "false");
  EXPECT_NE(encode(l, "hi", no_specials).ids.front(), 1);
}

TEST(TokenizerApi, NulInsideText) {
  Tok t(fixture("gpt2-tiny"));
  const std::string text("a\0b\0\0c", 6);
  Row r = encode(t, text);
  ASSERT_FALSE(r.ids.empty());
  EXPECT_EQ(r.offsets.back(), 6u);
  EXPECT_EQ(decode(t, r.ids), text);
  EXPECT_EQ(stream(t, r.ids), text);
  std::vector<Row> rows = encode_batch(t, {text, "x"});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].ids, r.ids);
  // An empty text; NULL text with length 0.
  qeff_encoding *e = nullptr;
  ASSERT_QEFF_OK(qeff_tokenizer_encode(t, nullptr, 0, nullptr, &e));
  EXPECT_TRUE(rows_of(e)[0].ids.empty());
  qeff_encoding_free(e);
}

TEST(TokenizerApi, Errors) {
  Tok t(fixture("gpt2-tiny"));
  qeff_encoding *e = reinterpret_cast<qeff_encoding *>(1);
  // Invalid UTF-8 names the byte and its offset.
  const std::string bad = "abc\xC3(";
  EXPECT_QEFF_ERROR(qeff_tokenizer_encode(t, bad.data(), bad.size(), nullptr, &e), QEFF_E_INVALID_ARGUMENT,
                    "qeff_tokenizer_encode", "UTF-8", "0xC3", "byte offset 3");
  EXPECT_EQ(e, nullptr);
  const char *texts[2] = {"fine", "\xFF"};
  EXPECT_QEFF_ERROR(qeff_tokenizer_encode_batch(t, texts, nullptr, 2, nullptr, &e), QEFF_E_INVALID_ARGUMENT,
                    "batch item 1", "0xFF", "byte offset 0");
  EXPECT_EQ(e, nullptr);

  // NULL arguments.
  qeff_tokenizer *tk = reinterpret_cast<qeff_tokenizer *>(1);
  EXPECT_QEFF_ERROR(qeff_tokenizer_load(nullptr, nullptr, &tk), QEFF_E_INVALID_ARGUMENT, "dir");
  EXPECT_EQ(tk, nullptr);
  EXPECT_QEFF_ERROR(qeff_tokenizer_load(fixture("gpt2-tiny").c_str(), nullptr, nullptr), QEFF_E_INVALID_ARGUMENT,
                    "out");
  EXPECT_QEFF_ERROR(qeff_tokenizer_encode(t, nullptr, 3, nullptr, &e), QEFF_E_INVALID_ARGUMENT, "text");
  EXPECT_QEFF_ERROR(qeff_tokenizer_encode(t, "x", 1, nullptr, nullptr), QEFF_E_INVALID_ARGUMENT, "out");
  EXPECT_QEFF_ERROR(qeff_tokenizer_encode_batch(t, nullptr, nullptr, 1, nullptr, &e), QEFF_E_INVALID_ARGUMENT,
                    "texts");
  const char *with_null[2] = {"a", nullptr};
  EXPECT_QEFF_ERROR(qeff_tokenizer_encode_batch(t, with_null, nullptr, 2, nullptr, &e), QEFF_E_INVALID_ARGUMENT,
                    "texts[1]");
  char *s = reinterpret_cast<char *>(1);
  EXPECT_QEFF_ERROR(qeff_tokenizer_decode(t, nullptr, 2, 0, &s, nullptr), QEFF_E_INVALID_ARGUMENT, "ids");
  EXPECT_EQ(s, nullptr);
  int32_t one = 1;
  EXPECT_QEFF_ERROR(qeff_tokenizer_decode(t, &one, 1, 0, nullptr, nullptr), QEFF_E_INVALID_ARGUMENT, "out");
  EXPECT_QEFF_ERROR(qeff_tokenizer_token_to_id(t, nullptr, &one), QEFF_E_INVALID_ARGUMENT, "token");
  EXPECT_QEFF_ERROR(qeff_tokenizer_vocab_size(t, nullptr), QEFF_E_INVALID_ARGUMENT, "out");
  EXPECT_QEFF_ERROR(qeff_decoder_create(t, 0, nullptr), QEFF_E_INVALID_ARGUMENT, "out");

  // NULL and wrong-type handles.
  size_t n = 0;
  EXPECT_QEFF_ERROR(qeff_tokenizer_vocab_size(nullptr, &n), QEFF_E_INVALID_HANDLE, "qeff_tokenizer");
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load(fixture("gpt2-tiny"), &m));
  auto *wrong = reinterpret_cast<const qeff_tokenizer *>(m);
  EXPECT_QEFF_ERROR(qeff_tokenizer_encode(wrong, "x", 1, nullptr, &e), QEFF_E_INVALID_HANDLE,
                    "qeff_tokenizer_encode", "qeff_tokenizer");
  EXPECT_QEFF_ERROR(qeff_model_tokenizer(reinterpret_cast<const qeff_model *>(t.t), &tk), QEFF_E_INVALID_HANDLE,
                    "qeff_model");
  EXPECT_QEFF_ERROR(qeff_encoding_num_rows(reinterpret_cast<const qeff_encoding *>(m), &n), QEFF_E_INVALID_HANDLE,
                    "qeff_encoding");
  const char *piece = nullptr;
  EXPECT_QEFF_ERROR(qeff_decoder_step(reinterpret_cast<qeff_decoder *>(m), 1, &piece, nullptr),
                    QEFF_E_INVALID_HANDLE, "qeff_decoder");
  qeff_tokenizer_free(reinterpret_cast<qeff_tokenizer *>(m));  // wrong type: ignored
  qeff_encoding_free(reinterpret_cast<qeff_encoding *>(m));
  qeff_decoder_free(reinterpret_cast<qeff_decoder *>(m));
  qeff_model_free(m);
  qeff_tokenizer_free(nullptr);
  qeff_encoding_free(nullptr);
  qeff_decoder_free(nullptr);
  qeff_string_free(nullptr);

  // Ids out of range in decode name the id and its index.
  std::vector<int32_t> ids = {5, 6, 512};
  EXPECT_QEFF_ERROR(qeff_tokenizer_decode(t, ids.data(), ids.size(), 0, &s, nullptr), QEFF_E_INVALID_ARGUMENT,
                    "qeff_tokenizer_decode", "512", "index 2");
  ids = {5, -3};
  EXPECT_QEFF_ERROR(qeff_tokenizer_decode(t, ids.data(), ids.size(), 0, &s, nullptr), QEFF_E_INVALID_ARGUMENT,
                    "-3", "index 1");

  // A bad id in a stream leaves the decoder unchanged.
  qeff_decoder *d = nullptr;
  ASSERT_QEFF_OK(qeff_decoder_create(t, 0, &d));
  size_t len = 0;
  ASSERT_QEFF_OK(qeff_decoder_step(d, 31, &piece, &len));  // "@"
  EXPECT_QEFF_ERROR(qeff_decoder_step(d, 100000, &piece, &len), QEFF_E_INVALID_ARGUMENT, "100000");
  EXPECT_EQ(piece, nullptr);
  EXPECT_QEFF_ERROR(qeff_decoder_step(d, 31, nullptr, &len), QEFF_E_INVALID_ARGUMENT, "piece");
  ASSERT_QEFF_OK(qeff_decoder_finish(d, &piece, &len));
  qeff_decoder_free(d);

  // Encoding accessors: row out of range.
  ASSERT_QEFF_OK(qeff_tokenizer_encode(t, "x", 1, nullptr, &e));
  EXPECT_QEFF_ERROR(qeff_encoding_row(e, 1, nullptr, nullptr, &n), QEFF_E_INVALID_ARGUMENT, "row 1");
  EXPECT_QEFF_ERROR(qeff_encoding_offsets(e, 7, nullptr, &n), QEFF_E_INVALID_ARGUMENT, "row 7");
  EXPECT_QEFF_ERROR(qeff_encoding_num_rows(e, nullptr), QEFF_E_INVALID_ARGUMENT, "out");
  qeff_encoding_free(e);

  // Options: unknown values, padding without a pad token.
  Options bad_padding, bad_side, pad;
  bad_padding.set("tokenize.padding", "shortest");
  EXPECT_QEFF_ERROR(qeff_tokenizer_encode(t, "x", 1, bad_padding, &e), QEFF_E_INVALID_ARGUMENT,
                    "tokenize.padding", "shortest");
  bad_side.set("tokenize.padding_side", "middle");
  EXPECT_QEFF_ERROR(qeff_tokenizer_encode(t, "x", 1, bad_side, &e), QEFF_E_INVALID_ARGUMENT,
                    "tokenize.padding_side", "middle");
  EXPECT_QEFF_ERROR(qeff_options_set(pad, "tokenize.truncation", "-1"), QEFF_E_INVALID_ARGUMENT);
  pad.set("tokenize.padding", "longest");
  Tok nopad(tokenizer_tests() + "/generated/bpe_bytelevel");
  EXPECT_QEFF_ERROR(qeff_tokenizer_encode(nopad, "x", 1, pad, &e), QEFF_E_INVALID_ARGUMENT, "pad token");

  // Loading: missing tokenizer files, missing directory, paths escaping the directory.
  qeff_test::TempDir dir;
  qeff_test::write_file(dir / "config.json", "{}");
  EXPECT_QEFF_ERROR(qeff_tokenizer_load(dir.str().c_str(), nullptr, &tk), QEFF_E_NOT_FOUND, "tokenizer.json");
  EXPECT_EQ(tk, nullptr);
  EXPECT_QEFF_ERROR(qeff_tokenizer_load((dir.str() + "/nope").c_str(), nullptr, &tk), QEFF_E_NOT_FOUND);
  qeff_test::TempDir outside;
  qeff_test::write_file(outside / "tokenizer.json", qeff_test::read_file(fixture("gpt2-tiny") + "/tokenizer.json"));
  fs::create_symlink(outside / "tokenizer.json", dir / "tokenizer.json");
  EXPECT_QEFF_ERROR(qeff_tokenizer_load(dir.str().c_str(), nullptr, &tk), QEFF_E_SECURITY);
  Options allow;
  allow.set("load.allowed_root", outside.str().c_str());
  ASSERT_QEFF_OK(qeff_tokenizer_load(dir.str().c_str(), allow, &tk));
  qeff_tokenizer_free(tk);

  // limits.input_bytes caps one text.
  Options small;
  small.set("limits.input_bytes", "4");
  Tok capped(fixture("gpt2-tiny"), small);
  EXPECT_QEFF_ERROR(qeff_tokenizer_encode(capped, "hello", 5, nullptr, &e), QEFF_E_LIMIT, "5 bytes",
                    "limits.input_bytes");
}

TEST(TokenizerApi, BatchPaddingAndTruncation) {
  Tok t(fixture("llama-tiny"));  // pad <unk> = 0, padding side right
  const std::vector<std::string> texts = {"hello world, this is longer", "hi"};
  std::vector<Row> plain = encode_batch(t, texts);
  ASSERT_EQ(plain.size(), 2u);
  size_t n0 = plain[0].ids.size(), n1 = plain[1].ids.size();
  ASSERT_GT(n0, n1);
  EXPECT_EQ(plain[0].ids, encode(t, texts[0]).ids);

  Options right;
  right.set("tokenize.padding", "longest");
  std::vector<Row> r = encode_batch(t, texts, right);
  ASSERT_EQ(r.size(), 2u);
  ASSERT_EQ(r[1].ids.size(), n0);
  for (size_t i = 0; i < n0; ++i) {
    bool pad = i >= n1;
    EXPECT_EQ(r[1].mask[i], pad ? 0 : 1);
    EXPECT_EQ(r[1].ids[i], pad ? 0 : plain[1].ids[i]);
    if (pad) {
      EXPECT_EQ(r[1].offsets[2 * i + 1], 0u);
    }
  }
  EXPECT_EQ(r[0].ids, plain[0].ids);
  EXPECT_EQ(r[0].mask, std::vector<int32_t>(n0, 1));

  Options left;
  left.set("tokenize.padding", "longest").set("tokenize.padding_side", "left");
  std::vector<Row> l = encode_batch(t, texts, left);
  ASSERT_EQ(l[1].ids.size(), n0);
  for (size_t i = 0; i < n0; ++i) {
    bool pad = i < n0 - n1;
    EXPECT_EQ(l[1].mask[i], pad ? 0 : 1);
    EXPECT_EQ(l[1].ids[i], pad ? 0 : plain[1].ids[i - (n0 - n1)]);
  }

  Options multiple;
  multiple.set("tokenize.padding", "longest").set("tokenize.pad_to_multiple_of", "8");
  for (const Row &row : encode_batch(t, texts, multiple)) EXPECT_EQ(row.ids.size(), (n0 + 7) / 8 * 8);

  // Truncation keeps BOS and the first tokens; max_length pads up to it.
  Options trunc;
  trunc.set("tokenize.truncation", "4").set("tokenize.padding", "max_length");
  std::vector<Row> tr = encode_batch(t, texts, trunc);
  ASSERT_EQ(tr.size(), 2u);
  EXPECT_EQ(tr[0].ids, std::vector<int32_t>(plain[0].ids.begin(), plain[0].ids.begin() + 4));
  EXPECT_EQ(tr[1].ids.size(), 4u);
  EXPECT_EQ(tr[1].mask[3], n1 >= 4 ? 1 : 0);

  // max_length without truncation: tokenizer_config.json's model_max_length (256).
  Options max_len;
  max_len.set("tokenize.padding", "max_length");
  for (const Row &row : encode_batch(t, texts, max_len)) EXPECT_EQ(row.ids.size(), 256u);

  // A single encode pads too; an empty batch is an encoding with no rows.
  EXPECT_EQ(encode(t, "hi", multiple).ids.size(), 8u);
  qeff_encoding *e = nullptr;
  ASSERT_QEFF_OK(qeff_tokenizer_encode_batch(t, nullptr, nullptr, 0, nullptr, &e));
  size_t rows = 9;
  ASSERT_QEFF_OK(qeff_encoding_num_rows(e, &rows));
  EXPECT_EQ(rows, 0u);
  qeff_encoding_free(e);

  // Truncation below the special tokens added.
  Tok bert(fixture("bert-tiny"));
  Options one;
  one.set("tokenize.truncation", "1");
  EXPECT_QEFF_ERROR(qeff_tokenizer_encode(bert, "hello", 5, one, &e), QEFF_E_INVALID_ARGUMENT, "max_length");
}

TEST(TokenizerApi, StreamingMatchesDecode) {
  const std::vector<std::string> texts = {
      "Hello \xF0\x9F\x91\x8B world \xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7 done",
      "caf\xC3\xA9 \xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x87\xAF\xF0\x9F\x87\xB5!",
      "\xF0\x9F\x98\x80\xF0\x9F\x98\x81\xF0\x9F\x98\x82",
      ""};
  for (const char *name : {"gpt2-tiny", "llama-tiny", "bert-tiny"}) {
    SCOPED_TRACE(name);
    Tok t(fixture(name));
    for (const std::string &text : texts) {
      Row r = encode(t, text);
      for (bool skip : {false, true}) {
        std::string full = decode(t, r.ids, skip);
        EXPECT_EQ(stream(t, r.ids, skip), full) << text;
      }
      if (std::string(name) == "gpt2-tiny") {
        EXPECT_EQ(decode(t, r.ids), text);
      }
    }
  }
  // A decoder is reusable after finish, and keeps its tokenizer alive.
  qeff_tokenizer *t = nullptr;
  ASSERT_QEFF_OK(qeff_tokenizer_load(fixture("gpt2-tiny").c_str(), nullptr, &t));
  Row r = encode(t, texts[2]);
  qeff_decoder *d = nullptr;
  ASSERT_QEFF_OK(qeff_decoder_create(t, 0, &d));
  qeff_tokenizer_free(t);
  for (int round = 0; round < 2; ++round) {
    std::string out;
    const char *piece = nullptr;
    size_t n = 0;
    for (int32_t id : r.ids) {
      ASSERT_QEFF_OK(qeff_decoder_step(d, id, &piece, &n));
      out.append(piece, n);
    }
    ASSERT_QEFF_OK(qeff_decoder_finish(d, &piece, &n));
    out.append(piece, n);
    EXPECT_EQ(out, texts[2]);
  }
  qeff_decoder_free(d);
}

TEST(TokenizerApi, SharedAcrossThreads) {
  Tok t(fixture("gpt2-tiny"));
  const std::string text = "The quick brown fox \xF0\x9F\xA6\x8A jumps over the lazy dog";
  Row want = encode(t, text);
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&, k] {
      bool good = true;
      for (int i = 0; i < 50; ++i) {
        qeff_encoding *e = nullptr;
        if (qeff_tokenizer_encode(t, text.data(), text.size(), nullptr, &e) != QEFF_OK) good = false;
        const int32_t *ids = nullptr;
        size_t n = 0;
        if (e == nullptr || qeff_encoding_row(e, 0, &ids, nullptr, &n) != QEFF_OK ||
            std::vector<int32_t>(ids, ids + n) != want.ids)
          good = false;
        qeff_encoding_free(e);
        const char *s = nullptr;
        if (qeff_tokenizer_id_to_token(t, (k * 50 + i) % 500, &s, nullptr) != QEFF_OK || s == nullptr) good = false;
      }
      ok[k] = good;
    });
  for (auto &th : threads) th.join();
  EXPECT_EQ(ok, std::vector<int>(4, 1));
}

}  // namespace
