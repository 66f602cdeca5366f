#include "tokenizer/tokenizer.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "common/json.hpp"
#include "common/utf8.hpp"
#include "tokenizer/added_vocabulary.hpp"
#include "tokenizer/decoders.hpp"
#include "tokenizer/models/model.hpp"
#include "tokenizer/normalizers.hpp"
#include "tokenizer/post_processors.hpp"
#include "tokenizer/pre_tokenizers.hpp"

namespace qeff::tokenizer {
namespace {

Direction parse_direction(const JsonView &v) {
  std::string d = v.as_string();
  if (d == "Right") return Direction::Right;
  if (d == "Left") return Direction::Left;
  v.fail_here(QEFF_E_CONFIG, "must be \"Left\" or \"Right\", got " + quote(d));
}

// tokenizer.json's "truncation" block. qeff never applies it (nor does
// transformers, which resets the backend's truncation on every call):
// truncation is asked per call (EncodeOptions, "tokenize.truncation"). It is
// checked as HF checks it, so that a file HF refuses is refused here too:
// transformers' load (TokenizerImpl::with_truncation) refuses a stride above
// the effective max length (max_length minus the special tokens the
// post-processor adds to one text), and tokenizers' encode panics on one equal
// to it ("`stride` must be strictly less than `max_len`"); qeff refuses both.
// max_length 0 is accepted, as in HF (its encode then keeps no token).
TruncationParams parse_truncation(const JsonView &v, size_t added_tokens) {
  TruncationParams t;
  t.max_length = static_cast<size_t>(v.get("max_length").as_int(0, INT32_MAX));
  auto stride = static_cast<size_t>(v.opt_int("stride", 0, INT32_MAX).value_or(0));
  size_t effective = t.max_length > added_tokens ? t.max_length - added_tokens : 0;
  if (stride > 0 && stride >= effective)
    v.get("stride").fail_here(QEFF_E_CONFIG, "= " + std::to_string(stride) +
                                                 " must be smaller than the effective max length " +
                                                 std::to_string(effective) + " (truncation.max_length " +
                                                 std::to_string(t.max_length) + " minus " +
                                                 std::to_string(added_tokens) +
                                                 " special tokens added by the post-processor), as in HF");
  if (auto s = v.opt_string("strategy")) {
    if (*s == "LongestFirst") t.strategy = TruncationStrategy::LongestFirst;
    else if (*s == "OnlyFirst") t.strategy = TruncationStrategy::OnlyFirst;
    else if (*s == "OnlySecond") t.strategy = TruncationStrategy::OnlySecond;
    else v.get("strategy").fail_here(QEFF_E_CONFIG, "names an unknown truncation strategy " + quote(*s));
  }
  if (v.get("direction").present()) t.direction = parse_direction(v.get("direction"));
  return t;
}

// tokenizer.json's "padding" block. qeff applies only its pad_id, and only as
// the pad token of a call that asks for padding when tokenizer_config.json and
// special_tokens_map.json name none. HF pads with any u32 pad_id (its decode
// then drops the id); qeff refuses one that is not a token (QEFF_E_CONFIG at
// load), since padding with it would give ids past the vocabulary.
PaddingParams parse_padding(const JsonView &v) {
  PaddingParams p;
  JsonView s = v.get("strategy");
  if (s.present()) {
    if (s.is_object() && s.get("Fixed").present())
      p.fixed_length = static_cast<size_t>(s.get("Fixed").as_int(0, INT32_MAX));  // HF: Fixed(0) pads nothing
    else if (!(s.is_string() && s.as_string() == "BatchLongest"))
      s.fail_here(QEFF_E_CONFIG, "must be \"BatchLongest\" or {\"Fixed\": n}");
  }
  if (v.get("direction").present()) p.direction = parse_direction(v.get("direction"));
  p.pad_to_multiple_of = static_cast<size_t>(v.opt_int("pad_to_multiple_of", 0, INT32_MAX).value_or(0));
  p.pad_id = static_cast<uint32_t>(v.opt_int("pad_id", 0, UINT32_MAX).value_or(0));
  p.pad_type_id = static_cast<uint32_t>(v.opt_int("pad_type_id", 0, UINT32_MAX).value_or(0));
  return p;
}

void check_input(std::string_view text, const TokenizerLimits &limits) {
  if (text.size() > limits.input_bytes)
    fail(QEFF_E_LIMIT, "tokenizer input is " + std::to_string(text.size()) + " bytes, above the limit of " +
                           std::to_string(limits.input_bytes) + " (tokenizer.input_bytes)");
  size_t bad = utf8_first_invalid(text);
  if (bad != text.size())
    fail(QEFF_E_INVALID_ARGUMENT, "tokenizer input is not valid UTF-8: invalid byte 0x" +
                                      [&] {
                                        char b[3];
                                        std::snprintf(b, sizeof b, "%02X", static_cast<unsigned char>(text[bad]));
                                        return std::string(b);
                                      }() +
                                      " at byte offset " + std::to_string(bad));
}

}  // namespace

Tokenizer::Tokenizer() : added_(std::make_unique<AddedVocabulary>()) {}
Tokenizer::~Tokenizer() = default;

std::shared_ptr<const Tokenizer> Tokenizer::from_json(std::string_view json, const std::string &name,
                                                      const TokenizerLimits &limits,
                                                      const hub::TokenizerConfig *config) {
  JsonDocument doc = JsonDocument::parse(json, JsonOrigin{name, QEFF_E_FORMAT},
                                         JsonLimits{limits.file_bytes, limits.json_depth});
  JsonView root = doc.root();
  std::shared_ptr<Tokenizer> t(new Tokenizer());
  t->limits_ = limits;
  ParseContext ctx{t->limits_, 0};
  if (!root.get("model").present()) root.fail_here(QEFF_E_FORMAT, "has no \"model\"");
  t->model_ = parse_model(root.get("model"), ctx);
  if (root.get("normalizer").present()) t->normalizer_ = parse_normalizer(root.get("normalizer"), ctx);
  if (root.get("pre_tokenizer").present()) t->pre_tokenizer_ = parse_pre_tokenizer(root.get("pre_tokenizer"), ctx);
  if (root.get("post_processor").present())
    t->post_processor_ = parse_post_processor(root.get("post_processor"), ctx);
  if (root.get("decoder").present()) t->decoder_ = parse_decoder(root.get("decoder"), ctx);
  t->added_->parse(root.get("added_tokens"), *t->model_, limits);
  if (root.get("truncation").present())
    t->file_truncation_ =
        parse_truncation(root.get("truncation"), t->post_processor_ ? t->post_processor_->added_tokens(false) : 0);
  if (JsonView padding = root.get("padding"); padding.present()) {
    t->file_padding_ = parse_padding(padding);
    uint32_t pad = t->file_padding_->pad_id;
    if (!t->id_to_token(pad))
      padding.get("pad_id").fail_here(QEFF_E_CONFIG, "= " + std::to_string(pad) +
                                                         " is not a token of this tokenizer (vocabulary size " +
                                                         std::to_string(t->vocab_size()) + ")");
  }
  t->finish_load(config);
  return t;
}

void Tokenizer::finish_load(const hub::TokenizerConfig *config) {
  added_->build(normalizer_.get());
  if (config) config_ = *config;
  auto id_of = [&](const std::optional<std::string> &tok) -> std::optional<uint32_t> {
    return tok ? token_to_id(*tok) : std::nullopt;
  };
  bos_id_ = id_of(config_.bos_token);
  eos_id_ = id_of(config_.eos_token);
  pad_id_ = id_of(config_.pad_token);
  unk_id_ = id_of(config_.unk_token);
}

std::shared_ptr<Tokenizer> Tokenizer::from_vocab_txt(std::string_view text, const std::string &display,
                                                     const TokenizerLimits &limits,
                                                     const hub::TokenizerConfig &config,
                                                     const JsonDocument *config_doc) {
  std::shared_ptr<Tokenizer> t(new Tokenizer());
  t->limits_ = limits;
  bool lower = true, chinese = true, cleanup = true;
  std::optional<bool> strip;
  if (config_doc) {
    JsonView c = config_doc->root();
    lower = c.opt_bool("do_lower_case").value_or(true);
    chinese = c.opt_bool("tokenize_chinese_chars").value_or(true);
    strip = c.opt_bool("strip_accents");
    cleanup = c.opt_bool("clean_up_tokenization_spaces").value_or(true);
  }
  std::string unk = config.unk_token.value_or("[UNK]");
  t->model_ = wordpiece_from_vocab_txt(text, display, unk, limits);
  t->normalizer_ = make_bert_normalizer(true, chinese, strip, lower);
  t->pre_tokenizer_ = make_bert_pre_tokenizer();
  t->decoder_ = make_wordpiece_decoder("##", cleanup);
  // transformers' BertTokenizerFast converter: the five special tokens are
  // added tokens (not normalized), and the template is [CLS] A [SEP] (B [SEP]).
  std::string cls = "[CLS]", sep = "[SEP]";
  for (const std::string &s : {std::string("[PAD]"), unk, cls, sep, std::string("[MASK]")}) {
    if (auto id = t->model_->vocab().find(s)) {
      AddedToken a;
      a.content = s;
      a.id = *id;
      a.special = true;
      t->added_->add(std::move(a));
    }
  }
  auto cls_id = t->model_->vocab().find(cls), sep_id = t->model_->vocab().find(sep);
  if (!cls_id || !sep_id)
    fail(QEFF_E_FORMAT, display + ": a BERT vocabulary needs [CLS] and [SEP]");
  std::string processor = R"({"type": "BertProcessing", "sep": ["[SEP]", )" + std::to_string(*sep_id) +
                          R"(], "cls": ["[CLS]", )" + std::to_string(*cls_id) + "]}";
  JsonDocument pdoc = JsonDocument::parse(processor, JsonOrigin{"vocab.txt post-processor", QEFF_E_FORMAT}, JsonLimits{});
  ParseContext ctx{t->limits_, 0};
  t->post_processor_ = parse_post_processor(pdoc.root(), ctx);
  t->finish_load(&config);
  return t;
}

const std::vector<std::string> &Tokenizer::tokenizer_files() {
  static const std::vector<std::string> names = {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                                 "vocab.txt"};
  return names;
}

std::map<std::string, std::string> Tokenizer::read_files(const FileRoot &root, const TokenizerLimits &limits) {
  std::map<std::string, std::string> files;
  for (const std::string &name : tokenizer_files())
    if (root.exists(name)) files[name] = root.read(name, limits.file_bytes, "tokenizer.file_bytes");
  return files;
}

std::shared_ptr<const Tokenizer> Tokenizer::load(const FileRoot &root, const TokenizerLimits &limits) {
  std::map<std::string, std::string> files = read_files(root, limits);
  if (files.count("tokenizer.json") == 0 && files.count("vocab.txt") == 0) {
    if (root.exists("tokenizer.model"))
      fail(QEFF_E_UNSUPPORTED, root.display("tokenizer.model") +
                                   ": a SentencePiece model without tokenizer.json is not supported; convert it "
                                   "with transformers (AutoTokenizer.from_pretrained(...).save_pretrained(...))");
    fail(QEFF_E_NOT_FOUND, root.dir() + ": no tokenizer.json or vocab.txt");
  }
  return load(files, [&](const std::string &name) { return root.display(name); }, limits);
}

std::shared_ptr<const Tokenizer> Tokenizer::load(const std::map<std::string, std::string> &files,
                                                 const std::function<std::string(const std::string &)> &display,
                                                 const TokenizerLimits &limits) {
  hub::TokenizerConfig config;
  std::optional<JsonDocument> config_doc;
  JsonLimits jl{limits.file_bytes, limits.json_depth};
  auto file = [&](const char *name) -> const std::string * {
    auto it = files.find(name);
    if (it == files.end()) return nullptr;
    if (it->second.size() > limits.file_bytes)
      fail(QEFF_E_LIMIT, display(name) + ": " + std::to_string(it->second.size()) +
                             " bytes exceeds tokenizer.file_bytes = " + std::to_string(limits.file_bytes));
    return &it->second;
  };
  if (const std::string *text = file("tokenizer_config.json")) {
    config_doc.emplace(JsonDocument::parse(*text, JsonOrigin{display("tokenizer_config.json")}, jl));
    config = hub::parse_tokenizer_config(*config_doc);
  }
  if (const std::string *text = file("special_tokens_map.json")) {
    JsonDocument m = JsonDocument::parse(*text, JsonOrigin{display("special_tokens_map.json")}, jl);
    hub::merge_special_tokens_map(config, m);
  }
  if (const std::string *json = file("tokenizer.json")) return from_json(*json, display("tokenizer.json"), limits, &config);
  if (const std::string *vocab = file("vocab.txt"))
    return from_vocab_txt(*vocab, display("vocab.txt"), limits, config, config_doc ? &*config_doc : nullptr);
  fail(QEFF_E_NOT_FOUND, "no tokenizer.json or vocab.txt among the tokenizer files");
}

Encoding Tokenizer::encode_one(std::string_view text, uint32_t type_id, int32_t sequence_id,
                               const EncodeOptions &o) const {
  check_input(text, limits_);
  std::vector<Split> splits;
  added_->extract_and_normalize(text, normalizer_.get(), o.parse_special, splits);
  if (pre_tokenizer_) pre_tokenizer_->pre_tokenize(splits);
  Encoding e;
  size_t estimate = text.size() / 3 + 4;
  e.ids.reserve(estimate);
  e.offsets.reserve(estimate);
  std::vector<Token> tokens;
  for (size_t idx = 0; idx < splits.size(); ++idx) {
    Split &s = splits[idx];
    if (!s.tokenized) {
      tokens.clear();
      model_->tokenize(s.text.get(), tokens);
    }
    const std::vector<Token> &toks = s.tokenized ? s.tokens : tokens;
    for (const Token &t : toks) {
      Span o;
      if (s.text.to_original(t.begin, t.end, o))
        o = {s.text.original_shift() + o.begin, s.text.original_shift() + o.end};
      else
        o = {t.begin, t.end};
      e.ids.push_back(t.id);
      e.offsets.push_back(o);
      e.word_ids.push_back(static_cast<int32_t>(idx));
    }
  }
  size_t n = e.ids.size();
  e.type_ids.assign(n, type_id);
  e.special_tokens_mask.assign(n, 0);
  e.attention_mask.assign(n, 1);
  e.sequence_ids.assign(n, sequence_id);
  return e;
}

Encoding Tokenizer::post_process(Encoding a, std::optional<Encoding> b, const EncodeOptions &o) const {
  if (o.truncation) {
    TruncationParams p = *o.truncation;
    size_t added = post_processor_ ? post_processor_->added_tokens(b.has_value()) : 0;
    if (o.add_special_tokens && added > 0) {
      if (p.max_length < added)
        fail(QEFF_E_INVALID_ARGUMENT, "truncation max_length " + std::to_string(p.max_length) +
                                          " is smaller than the " + std::to_string(added) + " special tokens added");
      p.max_length -= added;
    }
    truncate_encodings(a, b ? &*b : nullptr, p);
  }
  std::vector<Encoding> encs;
  encs.push_back(std::move(a));
  if (b) encs.push_back(std::move(*b));
  if (post_processor_) {
    TokenText text = [this](uint32_t id) -> std::string_view {
      if (const AddedToken *t = added_->find_id(id)) return t->content;
      const std::string *s = model_->vocab().name(id);
      return s ? std::string_view(*s) : std::string_view();
    };
    post_processor_->process(encs, o.add_special_tokens, text);
  }
  merge_encodings(encs);
  return std::move(encs[0]);
}

Encoding Tokenizer::encode(std::string_view text, const EncodeOptions &o) const {
  Encoding e = post_process(encode_one(text, 0, 0, o), std::nullopt, o);
  if (o.padding) {
    std::vector<Encoding> one;
    one.push_back(std::move(e));
    pad_encodings(one, *o.padding);
    e = std::move(one[0]);
  }
  return e;
}

Encoding Tokenizer::encode_pair(std::string_view first, std::string_view second, const EncodeOptions &o) const {
  Encoding e = post_process(encode_one(first, 0, 0, o), encode_one(second, 1, 1, o), o);
  if (o.padding) {
    std::vector<Encoding> one;
    one.push_back(std::move(e));
    pad_encodings(one, *o.padding);
    e = std::move(one[0]);
  }
  return e;
}

std::vector<Encoding> Tokenizer::encode_batch(std::span<const std::string_view> texts, const EncodeOptions &o) const {
  if (texts.size() > limits_.batch_size)
    fail(QEFF_E_LIMIT, "encode_batch: " + std::to_string(texts.size()) + " texts, above the limit of " +
                           std::to_string(limits_.batch_size));
  std::vector<Encoding> out;
  out.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    try {
      out.push_back(post_process(encode_one(texts[i], 0, 0, o), std::nullopt, o));
    } catch (const Error &e) {
      fail(e.status(), "batch item " + std::to_string(i) + ": " + e.what());
    }
  }
  if (o.padding) pad_encodings(out, *o.padding);
  return out;
}

const std::string *Tokenizer::decoder_input(uint32_t id, bool skip_special_tokens, bool &dropped) const {
  dropped = false;
  if (const AddedToken *t = added_->find_id(id)) {
    dropped = skip_special_tokens && t->special;
    return dropped ? nullptr : &t->content;
  }
  return model_->vocab().name(id);
}

std::string Tokenizer::decode(std::span<const uint32_t> ids, bool skip_special_tokens) const {
  return decode_ids(ids, skip_special_tokens, false);
}

std::string Tokenizer::decode_ids(std::span<const uint32_t> ids, bool skip_special_tokens, bool continuing) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    bool dropped = false;
    const std::string *text = decoder_input(ids[i], skip_special_tokens, dropped);
    if (dropped) continue;
    if (!text)
      fail(QEFF_E_INVALID_ARGUMENT, "decode: id " + std::to_string(ids[i]) + " at index " + std::to_string(i) +
                                        " is not a token of this tokenizer (vocabulary size " +
                                        std::to_string(vocab_size()) + ")");
    tokens.push_back(*text);
  }
  std::string out;
  if (decoder_) {
    if (continuing)
      decoder_->decode_chain_continuing(tokens);
    else
      decoder_->decode_chain(tokens);
    for (const std::string &t : tokens) out += t;
  } else {
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i) out.push_back(' ');
      out += tokens[i];
    }
  }
  return out;
}

std::optional<uint32_t> Tokenizer::token_to_id(std::string_view token) const {
  if (const AddedToken *t = added_->find_content(token)) return t->id;
  return model_->vocab().find(token);
}

std::optional<std::string> Tokenizer::id_to_token(uint32_t id) const {
  if (const AddedToken *t = added_->find_id(id)) return t->content;
  const std::string *s = model_->vocab().name(id);
  if (!s) return std::nullopt;
  return *s;
}

size_t Tokenizer::vocab_size() const {
  size_t n = model_->vocab().size();
  // A vocabulary may leave holes in its ids ({"a": 5, "b": 1}): the count
  // alone (HF's answer) would then lie below ids that encode() returns, so the
  // size is also at least one past the largest id.
  size_t bound = model_->vocab().id_bound();
  for (const AddedToken &t : added_->tokens()) {
    if (!model_->vocab().name(t.id)) ++n;
    bound = std::max(bound, static_cast<size_t>(t.id) + 1);
  }
  return std::max(n, bound);
}

bool Tokenizer::is_special(uint32_t id) const { return added_->is_special_id(id); }

const char *Tokenizer::model_kind() const { return model_->kind(); }

StreamDecoder::StreamDecoder(std::shared_ptr<const Tokenizer> tokenizer, bool skip_special_tokens)
    : tok_(std::move(tokenizer)), skip_(skip_special_tokens) {
  if (!tok_) fail(QEFF_E_INVALID_ARGUMENT, "StreamDecoder: no tokenizer");
}

namespace {
bool ends_with_replacement(const std::string &s) {
  return s.size() >= 3 && s.compare(s.size() - 3, 3, "\xEF\xBF\xBD") == 0;
}
}  // namespace

std::string StreamDecoder::step(uint32_t id) {
  // HF DecodeStream: decode a window holding the previous token as context,
  // emit what it adds to the context's own decoding, and hold everything
  // while the tail is an incomplete UTF-8 sequence (decoded as U+FFFD).
  bool dropped = false;
  const std::string *input = tok_->decoder_input(id, skip_, dropped);
  if (!input && !dropped)  // checked first: the stream is unchanged
    fail(QEFF_E_INVALID_ARGUMENT, "StreamDecoder: id " + std::to_string(id) +
                                      " is not a token of this tokenizer (vocabulary size " +
                                      std::to_string(tok_->vocab_size()) + ")");
  ids_.push_back(id);
  ++held_;
  // Nothing of a byte-fallback run is final before the run ends: a later
  // invalid byte turns all of it into U+FFFD. A dropped id leaves the run open.
  if (!dropped) in_byte_run_ = tok_->decoder_ && tok_->decoder_->continues_run(*input);
  if (in_byte_run_) return {};
  std::string text = tok_->decode_ids(ids_, skip_, continuing_);
  if (text.size() > prefix_.size() && !ends_with_replacement(text) &&
      text.compare(0, prefix_.size(), prefix_) == 0) {
    std::string fresh = text.substr(prefix_.size());
    size_t new_prefix_index = ids_.size() - prefix_index_;
    // Once the window drops the sequence's first ids, its first token is
    // context: a decoder's start-of-sequence stripping must not apply.
    if (prefix_index_ > 0) continuing_ = true;
    ids_.erase(ids_.begin(), ids_.begin() + static_cast<std::ptrdiff_t>(prefix_index_));
    prefix_ = tok_->decode_ids(ids_, skip_, continuing_);
    prefix_index_ = new_prefix_index;
    held_ = 0;
    return fresh;
  }
  return {};
}

std::string StreamDecoder::finish() {
  std::string text = tok_->decode_ids(ids_, skip_, continuing_);
  std::string rest;
  if (text.size() >= prefix_.size() && text.compare(0, prefix_.size(), prefix_) == 0) {
    rest = text.substr(prefix_.size());
  } else if (held_ > 0 && held_ <= ids_.size()) {
    // The window's decoding no longer extends the emitted text (HF's
    // DecodeStream fails there; no known decoder does it): the held ids are
    // decoded on their own.
    rest = tok_->decode_ids(std::span<const uint32_t>(ids_).subspan(ids_.size() - held_), skip_, continuing_);
  }
  held_ = 0;
  continuing_ = false;
  in_byte_run_ = false;
  ids_.clear();
  prefix_.clear();
  prefix_index_ = 0;
  return rest;
}

}  // namespace qeff::tokenizer
