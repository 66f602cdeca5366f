// qeff_tokenizer_*, qeff_encoding_*, qeff_decoder_*: the C face of
// qeff::tokenizer (a handle holds a shared_ptr<const Tokenizer>).
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "api/handles.hpp"
#include "common/error.hpp"
#include "hub/model_source.hpp"

using qeff::api::checked_handle;
using qeff::api::guarded;
using qeff::api::kDecoderTag;
using qeff::api::kEncodingTag;
using qeff::api::kModelTag;
using qeff::api::kTokenizerTag;
using qeff::api::require;

namespace tk = qeff::tokenizer;

namespace {

const tk::Tokenizer &tok(const qeff_tokenizer *t, const char *function) {
  return *checked_handle(t, kTokenizerTag, "qeff_tokenizer", function).tokenizer;
}

tk::TokenizerLimits limits_from(const qeff::Options &o) {
  tk::TokenizerLimits l;
  l.input_bytes = static_cast<size_t>(o.get_int("limits.input_bytes"));
  return l;
}


// The encode options of a call, from its "tokenize.*" keys.
tk::EncodeOptions encode_options(const tk::Tokenizer &t, const qeff::Options &o, const char *fn) {
  tk::EncodeOptions e;
  e.add_special_tokens = o.get_bool("tokenize.add_special_tokens");
  e.parse_special = o.get_bool("tokenize.parse_special");
  int64_t max_length = o.get_int("tokenize.truncation");
  if (max_length > 0) e.truncation = tk::TruncationParams{static_cast<size_t>(max_length)};

  const std::string &padding = o.get_string("tokenize.padding");
  const std::string &side_opt = o.get_string("tokenize.padding_side");
  if (!side_opt.empty() && side_opt != "left" && side_opt != "right")
    qeff::fail(QEFF_E_INVALID_ARGUMENT, std::string(fn) + ": option \"tokenize.padding_side\" = " +
                                            qeff::quote(side_opt) + " must be \"right\", \"left\" or \"\"");
  if (padding == "none") return e;
  if (padding != "longest" && padding != "max_length")
    qeff::fail(QEFF_E_INVALID_ARGUMENT, std::string(fn) + ": option \"tokenize.padding\" = " +
                                            qeff::quote(padding) +
                                            " must be \"none\", \"longest\" or \"max_length\"");
  tk::PaddingParams p;
  if (t.pad_id()) {
    p.pad_id = *t.pad_id();
  } else if (t.file_padding()) {
    p.pad_id = t.file_padding()->pad_id;
  } else {
    qeff::fail(QEFF_E_INVALID_ARGUMENT, std::string(fn) + ": \"tokenize.padding\" = " + qeff::quote(padding) +
                                            " needs a pad token, and this tokenizer has none (no pad_token in "
                                            "tokenizer_config.json or special_tokens_map.json)");
  }
  if (padding == "max_length") {
    if (max_length > 0) {
      p.fixed_length = static_cast<size_t>(max_length);
    } else if (t.config().model_max_length && *t.config().model_max_length > 0 &&
               *t.config().model_max_length <= INT32_MAX) {
      p.fixed_length = static_cast<size_t>(*t.config().model_max_length);
    } else {
      qeff::fail(QEFF_E_INVALID_ARGUMENT, std::string(fn) +
                                              ": \"tokenize.padding\" = \"max_length\" needs \"tokenize.truncation\" "
                                              "or a model_max_length in tokenizer_config.json");
    }
  }
  p.pad_to_multiple_of = static_cast<size_t>(o.get_int("tokenize.pad_to_multiple_of"));
  std::string side = side_opt.empty() ? t.config().padding_side : side_opt;
  p.direction = side == "left" ? tk::Direction::Left : tk::Direction::Right;
  e.padding = p;
  return e;
}

qeff_encoding::Row to_row(const tk::Encoding &e) {
  qeff_encoding::Row r;
  r.ids.assign(e.ids.begin(), e.ids.end());
  r.attention_mask.assign(e.attention_mask.begin(), e.attention_mask.end());
  r.offsets.reserve(2 * e.offsets.size());
  for (const auto &s : e.offsets) {
    r.offsets.push_back(s.begin);
    r.offsets.push_back(s.end);
  }
  return r;
}

const qeff_encoding::Row &row_of(const qeff_encoding *enc, size_t row, const char *fn) {
  const qeff_encoding &e = checked_handle(enc, kEncodingTag, "qeff_encoding", fn);
  if (row >= e.rows.size())
    qeff::fail(QEFF_E_INVALID_ARGUMENT, std::string(fn) + ": row " + std::to_string(row) +
                                            " is out of range (the encoding has " + std::to_string(e.rows.size()) +
                                            " rows)");
  return e.rows[row];
}

// An id a C caller passed: negative ids are no token.
uint32_t id_arg(int32_t id, const tk::Tokenizer &t, const char *fn) {
  if (id < 0 || !t.id_to_token(static_cast<uint32_t>(id)))
    qeff::fail(QEFF_E_INVALID_ARGUMENT, std::string(fn) + ": id " + std::to_string(id) +
                                            " is not a token of this tokenizer (vocabulary size " +
                                            std::to_string(t.vocab_size()) + ")");
  return static_cast<uint32_t>(id);
}

// A tokenizer-layer failure, prefixed with the C function; the input cap is
// the "limits.input_bytes" option at this ABI.
[[noreturn]] void rethrow(const qeff::Error &e, const char *fn) {
  std::string m = std::string(fn) + ": " + e.what();
  if (e.status() == QEFF_E_LIMIT && m.find("tokenizer.input_bytes") != std::string::npos)
    m += "; set \"limits.input_bytes\" when loading the tokenizer to raise it";
  qeff::fail(e.status(), m);
}

}  // namespace

qeff_tokenizer *qeff::api::new_tokenizer_handle(std::shared_ptr<const tk::Tokenizer> t) {
  auto h = std::make_unique<qeff_tokenizer>();
  h->tokenizer = std::move(t);
  return h.release();
}

extern "C" {

qeff_status qeff_tokenizer_load(const char *dir, const qeff_options *options, qeff_tokenizer **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const char *fn = "qeff_tokenizer_load";
    require(dir, "dir", fn);
    require(out, "out", fn);
    const qeff::Options &o = qeff::api::options_or_default(options, fn);
    qeff::api::CallScope cancel_scope(o, fn);
    qeff::FileRoot root = qeff::hub::open_model_root(dir, o.get_string("load.allowed_root"));
    *out = qeff::api::new_tokenizer_handle(tk::Tokenizer::load(root, limits_from(o)));
  });
}

qeff_status qeff_model_tokenizer(const qeff_model *m, qeff_tokenizer **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const char *fn = "qeff_model_tokenizer";
    const qeff_model &model = checked_handle(m, kModelTag, "qeff_model", fn);
    require(out, "out", fn);
    std::shared_ptr<const tk::Tokenizer> t;
    {
      std::lock_guard<std::mutex> lock(model.tokenizer_mutex);
      if (!model.tokenizer) model.tokenizer = tk::Tokenizer::load(model.source->root);
      t = model.tokenizer;
    }
    *out = qeff::api::new_tokenizer_handle(std::move(t));
  });
}

void qeff_tokenizer_free(qeff_tokenizer *tokenizer) { qeff::api::free_handle(tokenizer, kTokenizerTag); }

qeff_status qeff_tokenizer_encode(const qeff_tokenizer *tokenizer, const char *text, size_t length,
                                  const qeff_options *options, qeff_encoding **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const char *fn = "qeff_tokenizer_encode";
    const tk::Tokenizer &t = tok(tokenizer, fn);
    if (length > 0) require(text, "text", fn);
    require(out, "out", fn);
    tk::EncodeOptions eo = encode_options(t, qeff::api::options_or_default(options, fn), fn);
    std::string_view view = length > 0 ? std::string_view(text, length) : std::string_view();
    auto enc = std::make_unique<qeff_encoding>();
    try {
      enc->rows.push_back(to_row(t.encode(view, eo)));
    } catch (const qeff::Error &e) {
      rethrow(e, fn);
    }
    *out = enc.release();
  });
}

qeff_status qeff_tokenizer_encode_batch(const qeff_tokenizer *tokenizer, const char *const *texts,
                                        const size_t *lengths, size_t count, const qeff_options *options,
                                        qeff_encoding **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const char *fn = "qeff_tokenizer_encode_batch";
    const tk::Tokenizer &t = tok(tokenizer, fn);
    if (count > 0) require(texts, "texts", fn);
    require(out, "out", fn);
    tk::EncodeOptions eo = encode_options(t, qeff::api::options_or_default(options, fn), fn);
    std::vector<std::string_view> views;
    views.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      size_t n = lengths ? lengths[i] : 0;
      if (texts[i] == nullptr) {
        if (lengths == nullptr || n > 0)
          qeff::fail(QEFF_E_INVALID_ARGUMENT, std::string(fn) + ": texts[" + std::to_string(i) + "] is NULL");
        views.emplace_back();
        continue;
      }
      views.emplace_back(texts[i], lengths ? n : std::strlen(texts[i]));
    }
    auto enc = std::make_unique<qeff_encoding>();
    std::vector<tk::Encoding> encodings;
    try {
      encodings = t.encode_batch(views, eo);
    } catch (const qeff::Error &e) {
      rethrow(e, fn);
    }
    enc->rows.reserve(encodings.size());
    for (const auto &e : encodings) enc->rows.push_back(to_row(e));
    *out = enc.release();
  });
}

void qeff_encoding_free(qeff_encoding *encoding) { qeff::api::free_handle(encoding, kEncodingTag); }

qeff_status qeff_encoding_num_rows(const qeff_encoding *encoding, size_t *out) {
  return guarded([&] {
    const qeff_encoding &e = checked_handle(encoding, kEncodingTag, "qeff_encoding", "qeff_encoding_num_rows");
    require(out, "out", "qeff_encoding_num_rows");
    *out = e.rows.size();
  });
}

qeff_status qeff_encoding_row(const qeff_encoding *encoding, size_t row, const int32_t **ids,
                              const int32_t **attention_mask, size_t *length) {
  if (ids != nullptr) *ids = nullptr;
  if (attention_mask != nullptr) *attention_mask = nullptr;
  return guarded([&] {
    const qeff_encoding::Row &r = row_of(encoding, row, "qeff_encoding_row");
    if (ids) *ids = r.ids.empty() ? nullptr : r.ids.data();
    if (attention_mask) *attention_mask = r.attention_mask.empty() ? nullptr : r.attention_mask.data();
    if (length) *length = r.ids.size();
  });
}

qeff_status qeff_encoding_offsets(const qeff_encoding *encoding, size_t row, const size_t **offsets,
                                  size_t *length) {
  if (offsets != nullptr) *offsets = nullptr;
  return guarded([&] {
    const qeff_encoding::Row &r = row_of(encoding, row, "qeff_encoding_offsets");
    if (offsets) *offsets = r.offsets.empty() ? nullptr : r.offsets.data();
    if (length) *length = r.offsets.size() / 2;
  });
}

qeff_status qeff_tokenizer_decode(const qeff_tokenizer *tokenizer, const int32_t *ids, size_t count,
                                  int skip_special_tokens, char **out, size_t *out_length) {
  if (out != nullptr) *out = nullptr;
  if (out_length != nullptr) *out_length = 0;
  return guarded([&] {
    const char *fn = "qeff_tokenizer_decode";
    const tk::Tokenizer &t = tok(tokenizer, fn);
    if (count > 0) require(ids, "ids", fn);
    require(out, "out", fn);
    std::vector<uint32_t> u(count);
    for (size_t i = 0; i < count; ++i) {
      if (ids[i] < 0)
        qeff::fail(QEFF_E_INVALID_ARGUMENT, std::string(fn) + ": id " + std::to_string(ids[i]) + " at index " +
                                                std::to_string(i) + " is negative");
      u[i] = static_cast<uint32_t>(ids[i]);
    }
    std::string text;
    try {
      text = t.decode(u, skip_special_tokens != 0);
    } catch (const qeff::Error &e) {
      qeff::fail(e.status(), std::string(fn) + ": " + e.what());
    }
    char *s = static_cast<char *>(std::malloc(text.size() + 1));
    if (s == nullptr) throw std::bad_alloc();
    std::memcpy(s, text.data(), text.size());
    s[text.size()] = '\0';
    *out = s;
    if (out_length) *out_length = text.size();
  });
}

void qeff_string_free(char *string) { std::free(string); }

qeff_status qeff_tokenizer_token_to_id(const qeff_tokenizer *tokenizer, const char *token, int32_t *out) {
  return guarded([&] {
    const char *fn = "qeff_tokenizer_token_to_id";
    const tk::Tokenizer &t = tok(tokenizer, fn);
    require(token, "token", fn);
    require(out, "out", fn);
    auto id = t.token_to_id(token);
    if (!id) qeff::fail(QEFF_E_NOT_FOUND, std::string(fn) + ": no token " + qeff::quote(token));
    *out = static_cast<int32_t>(*id);
  });
}

qeff_status qeff_tokenizer_id_to_token(const qeff_tokenizer *tokenizer, int32_t id, const char **out,
                                       size_t *length) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const char *fn = "qeff_tokenizer_id_to_token";
    const qeff_tokenizer &h = checked_handle(tokenizer, kTokenizerTag, "qeff_tokenizer", fn);
    require(out, "out", fn);
    std::optional<std::string> s;
    if (id >= 0) s = h.tokenizer->id_to_token(static_cast<uint32_t>(id));
    if (!s)
      qeff::fail(QEFF_E_NOT_FOUND, std::string(fn) + ": no token has id " + std::to_string(id) +
                                       " (vocabulary size " + std::to_string(h.tokenizer->vocab_size()) + ")");
    std::lock_guard<std::mutex> lock(h.token_mutex);
    const std::string &kept = h.token_cache.try_emplace(static_cast<uint32_t>(id), std::move(*s)).first->second;
    *out = kept.c_str();
    if (length) *length = kept.size();
  });
}

qeff_status qeff_tokenizer_vocab_size(const qeff_tokenizer *tokenizer, size_t *out) {
  return guarded([&] {
    const tk::Tokenizer &t = tok(tokenizer, "qeff_tokenizer_vocab_size");
    require(out, "out", "qeff_tokenizer_vocab_size");
    *out = t.vocab_size();
  });
}

qeff_status qeff_tokenizer_special_id(const qeff_tokenizer *tokenizer, qeff_special_token which, int32_t *out) {
  return guarded([&] {
    const char *fn = "qeff_tokenizer_special_id";
    const tk::Tokenizer &t = tok(tokenizer, fn);
    require(out, "out", fn);
    std::optional<uint32_t> id;
    const char *name = "";
    switch (qeff::api::enum_value(which)) {
      case QEFF_SPECIAL_BOS: id = t.bos_id(), name = "bos"; break;
      case QEFF_SPECIAL_EOS: id = t.eos_id(), name = "eos"; break;
      case QEFF_SPECIAL_PAD: id = t.pad_id(), name = "pad"; break;
      case QEFF_SPECIAL_UNK: id = t.unk_id(), name = "unk"; break;
      default:
        qeff::fail(QEFF_E_INVALID_ARGUMENT, std::string(fn) + ": unknown special token kind " +
                                                std::to_string(qeff::api::enum_value(which)));
    }
    if (!id) qeff::fail(QEFF_E_NOT_FOUND, std::string(fn) + ": the tokenizer has no " + name + " token");
    *out = static_cast<int32_t>(*id);
  });
}

qeff_status qeff_decoder_create(const qeff_tokenizer *tokenizer, int skip_special_tokens, qeff_decoder **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const char *fn = "qeff_decoder_create";
    const qeff_tokenizer &h = checked_handle(tokenizer, kTokenizerTag, "qeff_tokenizer", fn);
    require(out, "out", fn);
    auto d = std::make_unique<qeff_decoder>();
    d->tokenizer = h.tokenizer;
    d->stream = std::make_unique<tk::StreamDecoder>(h.tokenizer, skip_special_tokens != 0);
    *out = d.release();
  });
}

void qeff_decoder_free(qeff_decoder *decoder) { qeff::api::free_handle(decoder, kDecoderTag); }

qeff_status qeff_decoder_step(qeff_decoder *decoder, int32_t id, const char **piece, size_t *length) {
  if (piece != nullptr) *piece = nullptr;
  return guarded([&] {
    const char *fn = "qeff_decoder_step";
    qeff_decoder &d = checked_handle(decoder, kDecoderTag, "qeff_decoder", fn);
    require(piece, "piece", fn);
    uint32_t u = id_arg(id, *d.tokenizer, fn);  // checked first: a bad id leaves the stream unchanged
    d.piece = d.stream->step(u);
    *piece = d.piece.c_str();
    if (length) *length = d.piece.size();
  });
}

qeff_status qeff_decoder_finish(qeff_decoder *decoder, const char **piece, size_t *length) {
  if (piece != nullptr) *piece = nullptr;
  return guarded([&] {
    const char *fn = "qeff_decoder_finish";
    qeff_decoder &d = checked_handle(decoder, kDecoderTag, "qeff_decoder", fn);
    require(piece, "piece", fn);
    d.piece = d.stream->finish();
    *piece = d.piece.c_str();
    if (length) *length = d.piece.size();
  });
}

}  // extern "C"
