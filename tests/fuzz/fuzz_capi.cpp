// C-API call sequences, through the public header and libqeff.so only. The
// input is a program of byte-coded calls on a small pool of handles: options,
// requests, results, streams, tokenizers, encodings, decoders, programs and
// models (2 slots each), including NULL handles, handles of the wrong type
// (every handle struct starts with its type tag, so a cast handle is memory-
// safe to pass and must be refused), frees of NULL and of wrong-type handles
// (ignored), frees followed by use of the emptied slot (NULL), generate, stream
// create/next/cancel/result/free, generate_stream with a callback that stops,
// tokenizer encode/decode/streaming decode. Programs come from a package of
// the llama-tiny fixture compiled once at start-up (prefill 4, ctx_len 16, so
// every generation is a few decode steps).
//
// Invariants (RELIABILITY.md A6.1, A6.10, B14): every status is a known code,
// never QEFF_E_INTERNAL; a failing call leaves qeff_last_error_code() equal to
// its status and a non-empty qeff_last_error_message(); a successful one
// leaves QEFF_OK and ""; a failing create leaves *out NULL; a wrong-type or
// NULL handle gives QEFF_E_INVALID_HANDLE or QEFF_E_INVALID_ARGUMENT; text out
// of the library is valid UTF-8; generated ids are within the vocabulary; the
// concatenation of a row's stream (or callback) texts equals its final text
// when the generation ran to its end; decoder pieces concatenate to
// qeff_tokenizer_decode of the same ids.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "qeff/qeff.h"

#define CHECK FUZZ_CHECK

namespace {

std::string g_package;  // the compiled llama-tiny package
std::string g_model_dir;
std::string g_scratch;
size_t g_vocab = 0;

bool utf8_valid(const char *s, size_t n) {
  const auto *p = reinterpret_cast<const unsigned char *>(s);
  size_t i = 0;
  while (i < n) {
    unsigned c = p[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > n) return false;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += len;
  }
  return true;
}

// Checks the status of one call and the thread's error state after it.
qeff_status checked(qeff_status s, const char *call) {
  CHECK(s >= QEFF_OK && s <= QEFF_E_INTERNAL, "%s: unknown status %d", call, static_cast<int>(s));
  CHECK(s != QEFF_E_INTERNAL, "%s: QEFF_E_INTERNAL: %s", call, qeff_last_error_message());
  const char *msg = qeff_last_error_message();
  CHECK(msg != nullptr, "%s: NULL message", call);
  CHECK(qeff_last_error_code() == s, "%s: returned %s but qeff_last_error_code() is %s", call, qeff_status_name(s),
        qeff_status_name(qeff_last_error_code()));
  if (s == QEFF_OK)
    CHECK(msg[0] == '\0', "%s: succeeded but the message is \"%s\"", call, msg);
  else
    CHECK(msg[0] != '\0', "%s: %s with an empty message", call, qeff_status_name(s));
  CHECK(utf8_valid(msg, std::strlen(msg)), "%s: message is not UTF-8", call);
  return s;
}

// A call given a NULL or wrong-type handle: refused as such.
void refused(qeff_status s, const char *call) {
  checked(s, call);
  CHECK(s == QEFF_E_INVALID_HANDLE || s == QEFF_E_INVALID_ARGUMENT, "%s: a bad handle gave %s", call,
        qeff_status_name(s));
}

struct Reader {
  const uint8_t *p;
  size_t n;
  uint8_t byte() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  std::string bytes(size_t max) {
    size_t len = std::min<size_t>(byte() % (max + 1), n);
    std::string s(reinterpret_cast<const char *>(p), len);
    p += len;
    n -= len;
    return s;
  }
};

struct Stream {
  qeff_stream *h = nullptr;
  std::vector<std::string> texts;  // per row, from events
  bool cancelled = false, ended = false, broken = false;
};

struct Pool {
  qeff_options *options[2] = {};
  qeff_request *request[2] = {};
  qeff_result *result[2] = {};
  Stream stream[2];
  qeff_tokenizer *tokenizer[2] = {};
  qeff_encoding *encoding[2] = {};
  qeff_decoder *decoder[2] = {};
  std::vector<int32_t> decoder_ids[2];
  std::string decoder_text[2];
  qeff_program *program[2] = {};
  qeff_model *model[2] = {};

  ~Pool() {
    for (int i = 0; i < 2; ++i) {
      qeff_stream_free(stream[i].h);  // before the program/request: either may be freed first anyway
      qeff_options_free(options[i]);
      qeff_request_free(request[i]);
      qeff_result_free(result[i]);
      qeff_encoding_free(encoding[i]);
      qeff_decoder_free(decoder[i]);
      qeff_tokenizer_free(tokenizer[i]);
      qeff_program_free(program[i]);
      qeff_model_free(model[i]);
    }
  }
};

void check_result(const qeff_result *r) {
  if (r == nullptr) return;
  size_t rows = 0;
  checked(qeff_result_num_rows(r, &rows), "qeff_result_num_rows");
  for (size_t row = 0; row <= rows; ++row) {  // one past the end too
    const char *text = nullptr;
    size_t len = 0;
    qeff_status s = checked(qeff_result_text(r, row, &text, &len), "qeff_result_text");
    if (row == rows) {
      CHECK(s == QEFF_E_INVALID_ARGUMENT, "qeff_result_text past the last row gave %s", qeff_status_name(s));
      continue;
    }
    if (s != QEFF_OK) continue;
    CHECK(text != nullptr && text[len] == '\0' && utf8_valid(text, len), "result text not NUL-terminated UTF-8");
    const int32_t *ids = nullptr;
    size_t count = 0;
    if (checked(qeff_result_tokens(r, row, &ids, &count), "qeff_result_tokens") == QEFF_OK)
      for (size_t i = 0; i < count; ++i)
        CHECK(ids[i] >= 0 && static_cast<size_t>(ids[i]) < g_vocab, "generated id %d outside the vocabulary", ids[i]);
    qeff_finish_reason why = QEFF_FINISH_NONE;
    if (checked(qeff_result_finish_reason(r, row, &why), "qeff_result_finish_reason") == QEFF_OK)
      CHECK(why >= QEFF_FINISH_EOS && why <= QEFF_FINISH_CANCELLED, "finish reason %d", static_cast<int>(why));
  }
  const char *stats = nullptr;
  checked(qeff_result_stats_json(r, &stats), "qeff_result_stats_json");
  double v = 0;
  checked(qeff_result_stat(r, "generated_tokens", &v), "qeff_result_stat");
  checked(qeff_result_stat(r, "no such stat", &v), "qeff_result_stat(unknown)");
}

// The streamed pieces of each row (events or callbacks) concatenate to the
// result's text of that row.
void check_pieces_match(const qeff_result *r, const std::vector<std::string> &texts, const char *what) {
  size_t rows = 0;
  qeff_result_num_rows(r, &rows);
  for (size_t row = 0; row < rows; ++row) {
    const char *text = nullptr;
    size_t len = 0;
    if (qeff_result_text(r, row, &text, &len) != QEFF_OK) continue;
    std::string got = row < texts.size() ? texts[row] : std::string();
    CHECK(got == std::string(text, len), "row %zu: %s \"%s\" != final text \"%s\"", row, what, got.c_str(),
          std::string(text, len).c_str());
  }
}

// After a stream ran to its end (not cancelled): the events of each row
// concatenate to the result's text of that row.
void check_stream_end(Stream &st) {
  qeff_result *r = nullptr;
  qeff_status s = checked(qeff_stream_result(st.h, &r), "qeff_stream_result");
  if (s != QEFF_OK) return;
  check_result(r);
  if (!st.cancelled && !st.broken) check_pieces_match(r, st.texts, "stream events");
  qeff_result_free(r);
}

struct CallbackState {
  std::vector<std::string> texts;
  int stop_after = -1;
  int calls = 0;
};

int on_token(size_t row, int32_t token, const char *text, size_t length, int row_finished, void *payload) {
  auto *cb = static_cast<CallbackState *>(payload);
  CHECK(utf8_valid(text, length), "callback text is not UTF-8");
  CHECK(token >= -1 && (token < 0 || static_cast<size_t>(token) < g_vocab), "callback token %d", token);
  CHECK(row_finished == 0 || row_finished == 1, "row_finished %d", row_finished);
  if (cb->texts.size() <= row) cb->texts.resize(row + 1);
  cb->texts[row].append(text, length);
  ++cb->calls;
  return cb->stop_after >= 0 && cb->calls >= cb->stop_after;
}

const char *const kOptionKeys[] = {"generate.max_new_tokens", "generate.do_sample", "generate.seed",
                                   "generate.temperature",    "generate.top_k",     "generate.top_p",
                                   "generate.stop",           "generate.truncate",  "tokenize.add_special_tokens",
                                   "tokenize.parse_special",  "generate.skip_special_tokens",
                                   "generate.eos_token_ids",  "generate.repetition_penalty", "runtime.threads",
                                   "no.such.key",             ""};
const char *const kOptionValues[] = {"1", "0", "3", "-1", "0.5", "true", "false", "[2]", "[]", "1e400", "nan",
                                     "\"x\"", "9223372036854775808", "abc", "", "\xff"};

void run(Reader &in) {
  Pool pool;
  size_t ops = 0;
  while (in.n > 0 && ops++ < 48) {
    uint8_t op = in.byte();
    int a = in.byte() & 1, b = in.byte() & 1;
    switch (op % 32) {
      case 0: {
        qeff_options_free(pool.options[a]);
        pool.options[a] = reinterpret_cast<qeff_options *>(1);  // must be overwritten
        qeff_status s = checked(qeff_options_create(&pool.options[a]), "qeff_options_create");
        CHECK(s == QEFF_OK && pool.options[a] != nullptr, "qeff_options_create");
        // Keep generations short unless the input asks otherwise.
        checked(qeff_options_set_int(pool.options[a], "generate.max_new_tokens", 3), "qeff_options_set_int");
        break;
      }
      case 1:
        qeff_options_free(pool.options[a]);
        pool.options[a] = nullptr;
        break;
      case 2: {
        uint8_t k = in.byte(), v = in.byte();
        std::string value = (v & 0x80) ? in.bytes(16) : std::string(kOptionValues[v % 16]);
        qeff_status s = checked(qeff_options_set(pool.options[a], kOptionKeys[k % 16], value.c_str()), "qeff_options_set");
        if (pool.options[a] == nullptr) refused(s, "qeff_options_set(NULL)");
        break;
      }
      case 3:
        qeff_request_free(pool.request[a]);
        pool.request[a] = nullptr;
        checked(qeff_request_create(&pool.request[a]), "qeff_request_create");
        break;
      case 4:
        qeff_request_free(pool.request[a]);
        pool.request[a] = nullptr;
        break;
      case 5: {
        std::string text = in.bytes(24);
        qeff_status s = checked(qeff_request_add_text(pool.request[a], text.data(), text.size()), "qeff_request_add_text");
        if (pool.request[a] == nullptr) refused(s, "qeff_request_add_text(NULL)");
        if (s == QEFF_OK) CHECK(utf8_valid(text.data(), text.size()), "invalid UTF-8 text accepted");
        break;
      }
      case 6: {
        std::vector<int32_t> ids;
        size_t n = in.byte() % 12;
        for (size_t i = 0; i < n; ++i) ids.push_back(static_cast<int8_t>(in.byte()) * 5);
        qeff_status s = checked(qeff_request_add_tokens(pool.request[a], ids.data(), ids.size()), "qeff_request_add_tokens");
        if (s == QEFF_OK)
          for (int32_t id : ids) CHECK(id >= 0, "negative id accepted");
        break;
      }
      case 7: {
        qeff_result_free(pool.result[b]);
        pool.result[b] = reinterpret_cast<qeff_result *>(1);
        qeff_status s = checked(qeff_generate(pool.program[a], pool.request[a], pool.options[b], &pool.result[b]),
                                "qeff_generate");
        CHECK(s == QEFF_OK ? pool.result[b] != nullptr : pool.result[b] == nullptr, "qeff_generate *out");
        if (pool.program[a] == nullptr || pool.request[a] == nullptr) CHECK(s != QEFF_OK, "generate on NULL");
        check_result(pool.result[b]);
        break;
      }
      case 8:
        qeff_result_free(pool.result[a]);
        pool.result[a] = nullptr;
        break;
      case 9:
        check_result(pool.result[a]);
        break;
      case 10: {
        Stream &st = pool.stream[b];
        qeff_stream_free(st.h);
        st = Stream();
        st.h = reinterpret_cast<qeff_stream *>(1);
        qeff_status s = checked(qeff_stream_create(pool.program[a], pool.request[a], pool.options[b], &st.h),
                                "qeff_stream_create");
        CHECK(s == QEFF_OK ? st.h != nullptr : st.h == nullptr, "qeff_stream_create *out");
        break;
      }
      case 11:
      case 12: {  // next, a few times
        Stream &st = pool.stream[a];
        int times = 1 + in.byte() % 8;
        for (int i = 0; i < times; ++i) {
          qeff_stream_event ev;
          std::memset(&ev, 0x5a, sizeof ev);
          qeff_status s = checked(qeff_stream_next(st.h, &ev), "qeff_stream_next");
          if (st.h == nullptr) {
            refused(s, "qeff_stream_next(NULL)");
            break;
          }
          if (s != QEFF_OK) {
            if (s != QEFF_E_CANCELLED) st.broken = true;
            break;
          }
          if (!ev.has_event) {
            if (!st.ended) check_stream_end(st);
            st.ended = true;
            break;
          }
          CHECK(!st.ended, "an event after the end");
          CHECK(ev.text != nullptr && ev.text[ev.length] == '\0' && utf8_valid(ev.text, ev.length),
                "stream event text");
          if (st.texts.size() <= ev.row) st.texts.resize(ev.row + 1);
          st.texts[ev.row].append(ev.text, ev.length);
        }
        break;
      }
      case 13: {
        qeff_status s = checked(qeff_stream_cancel(pool.stream[a].h), "qeff_stream_cancel");
        if (pool.stream[a].h == nullptr) refused(s, "qeff_stream_cancel(NULL)");
        pool.stream[a].cancelled = true;
        break;
      }
      case 14:
        qeff_stream_free(pool.stream[a].h);
        pool.stream[a] = Stream();
        break;
      case 15: {
        qeff_result *r = reinterpret_cast<qeff_result *>(1);
        qeff_status s = checked(qeff_stream_result(pool.stream[a].h, &r), "qeff_stream_result");
        CHECK(s == QEFF_OK ? r != nullptr : r == nullptr, "qeff_stream_result *out");
        // (A result may come as soon as the generation is done, before the
        // last events were pulled: no check on that here.)
        check_result(r);
        qeff_result_free(r);
        break;
      }
      case 16: {
        qeff_tokenizer_free(pool.tokenizer[a]);
        pool.tokenizer[a] = nullptr;
        qeff_status s = checked(qeff_program_tokenizer(pool.program[b], &pool.tokenizer[a]), "qeff_program_tokenizer");
        if (pool.program[b] != nullptr) CHECK(s == QEFF_OK, "the fixture program has a tokenizer");
        if (s == QEFF_OK) {
          size_t v = 0;
          checked(qeff_tokenizer_vocab_size(pool.tokenizer[a], &v), "qeff_tokenizer_vocab_size");
          CHECK(v == g_vocab, "vocab size %zu", v);
        }
        break;
      }
      case 17:
        qeff_tokenizer_free(pool.tokenizer[a]);
        pool.tokenizer[a] = nullptr;
        break;
      case 18: {
        std::string text = in.bytes(24);
        qeff_encoding_free(pool.encoding[b]);
        pool.encoding[b] = nullptr;
        qeff_status s = checked(qeff_tokenizer_encode(pool.tokenizer[a], text.data(), text.size(), pool.options[b],
                                                      &pool.encoding[b]),
                                "qeff_tokenizer_encode");
        if (s != QEFF_OK) break;
        CHECK(utf8_valid(text.data(), text.size()), "invalid UTF-8 encoded");
        const int32_t *ids = nullptr, *mask = nullptr;
        const size_t *offs = nullptr;
        size_t len = 0, olen = 0;
        checked(qeff_encoding_row(pool.encoding[b], 0, &ids, &mask, &len), "qeff_encoding_row");
        checked(qeff_encoding_offsets(pool.encoding[b], 0, &offs, &olen), "qeff_encoding_offsets");
        for (size_t i = 0; i < len; ++i) CHECK(ids[i] >= 0 && static_cast<size_t>(ids[i]) < g_vocab, "encoded id");
        for (size_t i = 0; i < olen; ++i) CHECK(offs[i] <= text.size(), "offset %zu past %zu", offs[i], text.size());
        refused(checked(qeff_encoding_row(pool.encoding[b], 1, &ids, &mask, &len), "qeff_encoding_row(1)"),
                "qeff_encoding_row past the end");
        break;
      }
      case 19: {
        std::vector<int32_t> ids;
        size_t n = in.byte() % 8;
        for (size_t i = 0; i < n; ++i) ids.push_back(static_cast<int32_t>(in.byte()) * 3 - 16);
        char *out = reinterpret_cast<char *>(1);
        size_t len = 0;
        qeff_status s = checked(qeff_tokenizer_decode(pool.tokenizer[a], ids.data(), ids.size(), b, &out, &len),
                                "qeff_tokenizer_decode");
        if (s == QEFF_OK) {
          CHECK(out != nullptr && out[len] == '\0' && utf8_valid(out, len), "decoded text");
          for (int32_t id : ids) CHECK(id >= 0 && static_cast<size_t>(id) < g_vocab, "decoded a bad id %d", id);
          qeff_string_free(out);
        } else {
          CHECK(out == nullptr, "qeff_tokenizer_decode *out on failure");
        }
        break;
      }
      case 20: {
        qeff_decoder_free(pool.decoder[a]);
        pool.decoder[a] = nullptr;
        pool.decoder_ids[a].clear();
        pool.decoder_text[a].clear();
        checked(qeff_decoder_create(pool.tokenizer[b], 0, &pool.decoder[a]), "qeff_decoder_create");
        break;
      }
      case 21: {
        int32_t id = static_cast<int32_t>(in.byte()) * 2 - 8;
        const char *piece = nullptr;
        size_t len = 0;
        qeff_status s = checked(qeff_decoder_step(pool.decoder[a], id, &piece, &len), "qeff_decoder_step");
        if (s == QEFF_OK) {
          CHECK(piece != nullptr && utf8_valid(piece, len), "decoder piece");
          pool.decoder_ids[a].push_back(id);
          pool.decoder_text[a].append(piece, len);
        }
        break;
      }
      case 22: {
        const char *piece = nullptr;
        size_t len = 0;
        qeff_status s = checked(qeff_decoder_finish(pool.decoder[a], &piece, &len), "qeff_decoder_finish");
        if (s != QEFF_OK) break;
        CHECK(piece != nullptr && utf8_valid(piece, len), "decoder rest");
        // Every tokenizer of the pool is the fixture's, so any live one decodes
        // the ids as the decoder's own does.
        std::string joined = pool.decoder_text[a] + std::string(piece, len);
        char *whole = nullptr;
        size_t wlen = 0;
        if (pool.tokenizer[b] != nullptr &&
            checked(qeff_tokenizer_decode(pool.tokenizer[b], pool.decoder_ids[a].data(), pool.decoder_ids[a].size(), 0,
                                          &whole, &wlen),
                    "qeff_tokenizer_decode") == QEFF_OK) {
          CHECK(joined == std::string(whole, wlen), "decoder pieces \"%s\" != decode \"%s\"", joined.c_str(), whole);
          qeff_string_free(whole);
        }
        // finish() started a new sequence, compared or not.
        pool.decoder_ids[a].clear();
        pool.decoder_text[a].clear();
        break;
      }
      case 23:
        qeff_decoder_free(pool.decoder[a]);
        pool.decoder[a] = nullptr;
        break;
      case 24: {
        qeff_program_free(pool.program[a]);
        pool.program[a] = nullptr;
        qeff_status s = checked(qeff_program_load(g_package.c_str(), pool.options[b], &pool.program[a]), "qeff_program_load");
        CHECK(s == QEFF_OK || pool.options[b] != nullptr, "the fixture package does not load: %s", qeff_last_error_message());
        break;
      }
      case 25:
        qeff_program_free(pool.program[a]);
        pool.program[a] = nullptr;
        break;
      case 26: {  // wrong-type handles: each function refuses a handle of another type
        void *h = b ? static_cast<void *>(pool.options[a]) : static_cast<void *>(pool.request[a]);
        if (h == nullptr) break;
        qeff_result *r = nullptr;
        refused(qeff_generate(static_cast<qeff_program *>(h), pool.request[a], nullptr, &r), "qeff_generate(wrong)");
        refused(qeff_stream_next(static_cast<qeff_stream *>(h), nullptr), "qeff_stream_next(wrong)");
        refused(qeff_stream_cancel(static_cast<qeff_stream *>(h)), "qeff_stream_cancel(wrong)");
        size_t n = 0;
        refused(qeff_result_num_rows(static_cast<qeff_result *>(h), &n), "qeff_result_num_rows(wrong)");
        refused(qeff_tokenizer_vocab_size(static_cast<qeff_tokenizer *>(h), &n), "qeff_tokenizer_vocab_size(wrong)");
        const char *p = nullptr;
        refused(qeff_decoder_step(static_cast<qeff_decoder *>(h), 1, &p, &n), "qeff_decoder_step(wrong)");
        refused(qeff_program_info(static_cast<qeff_program *>(h), &p), "qeff_program_info(wrong)");
        // Frees of the wrong type are ignored; the handle stays usable.
        qeff_program_free(static_cast<qeff_program *>(h));
        qeff_stream_free(static_cast<qeff_stream *>(h));
        qeff_result_free(static_cast<qeff_result *>(h));
        qeff_tokenizer_free(static_cast<qeff_tokenizer *>(h));
        qeff_model_free(static_cast<qeff_model *>(h));
        if (b)
          checked(qeff_options_set(pool.options[a], "generate.seed", "1"), "qeff_options_set(after wrong frees)");
        else
          checked(qeff_request_num_rows(pool.request[a], &n), "qeff_request_num_rows(after wrong frees)");
        break;
      }
      case 27: {  // NULL everywhere
        qeff_result *r = reinterpret_cast<qeff_result *>(1);
        refused(qeff_generate(nullptr, pool.request[a], nullptr, &r), "qeff_generate(NULL)");
        CHECK(r == nullptr, "qeff_generate(NULL) left *out set");
        if (pool.program[a] != nullptr && pool.request[a] != nullptr)
          refused(qeff_generate(pool.program[a], pool.request[a], nullptr, nullptr), "qeff_generate(out NULL)");
        refused(qeff_stream_create(pool.program[a], nullptr, nullptr, nullptr), "qeff_stream_create(NULL)");
        refused(qeff_request_add_text(pool.request[a], nullptr, 3), "qeff_request_add_text(NULL text)");
        refused(qeff_request_add_tokens(pool.request[a], nullptr, 2), "qeff_request_add_tokens(NULL ids)");
        refused(qeff_result_text(pool.result[a], 0, nullptr, nullptr), "qeff_result_text(NULL out)");
        refused(qeff_tokenizer_decode(pool.tokenizer[a], nullptr, 2, 0, nullptr, nullptr), "qeff_tokenizer_decode(NULL)");
        refused(qeff_stream_result(pool.stream[a].h, nullptr), "qeff_stream_result(NULL)");
        refused(qeff_options_set(pool.options[a], nullptr, "1"), "qeff_options_set(NULL key)");
        refused(qeff_program_load(nullptr, nullptr, nullptr), "qeff_program_load(NULL)");
        qeff_program_free(nullptr);
        qeff_stream_free(nullptr);
        qeff_result_free(nullptr);
        break;
      }
      case 28: {  // generate_stream with a callback that may stop
        CallbackState cb;
        cb.stop_after = (in.byte() % 4) - 1;
        qeff_result *r = reinterpret_cast<qeff_result *>(1);
        qeff_status s = checked(qeff_generate_stream(pool.program[a], pool.request[a], pool.options[b], on_token, &cb, &r),
                                "qeff_generate_stream");
        CHECK(s == QEFF_OK ? r != nullptr : r == nullptr, "qeff_generate_stream *out");
        if (s == QEFF_E_CANCELLED) CHECK(cb.stop_after >= 0, "cancelled without being asked");
        if (s == QEFF_OK) {
          check_result(r);
          check_pieces_match(r, cb.texts, "callback texts");
        }
        qeff_result_free(r);
        break;
      }
      case 29: {
        qeff_model_free(pool.model[a]);
        pool.model[a] = nullptr;
        const char *path = b ? g_model_dir.c_str() : "";
        qeff_status s = checked(qeff_model_load(path, nullptr, &pool.model[a]), "qeff_model_load");
        CHECK(b ? s == QEFF_OK : s == QEFF_E_INVALID_ARGUMENT, "qeff_model_load(%s) gave %s", path, qeff_status_name(s));
        break;
      }
      case 30: {
        qeff_tokenizer_free(pool.tokenizer[b]);
        pool.tokenizer[b] = nullptr;
        qeff_status s = checked(qeff_model_tokenizer(pool.model[a], &pool.tokenizer[b]), "qeff_model_tokenizer");
        if (pool.model[a] == nullptr) refused(s, "qeff_model_tokenizer(NULL)");
        break;
      }
      case 31:
        qeff_model_free(pool.model[a]);
        pool.model[a] = nullptr;
        break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  const char *fx = std::getenv("QEFF_FIXTURES");
#ifdef QEFF_FUZZ_FIXTURES
  g_model_dir = (fx != nullptr && *fx != '\0') ? std::string(fx) + "/models/llama-tiny"
                                               : std::string(QEFF_FUZZ_FIXTURES) + "/llama-tiny";
#else
  g_model_dir = std::string(fx != nullptr ? fx : "tests/fixtures") + "/models/llama-tiny";
#endif
  const char *t = std::getenv("TMPDIR");
  std::string tmpl = std::string(t != nullptr && *t != '\0' ? t : "/tmp") + "/qeff-fuzz-capi-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  g_scratch = tmpl;
  g_package = g_scratch + "/pkg";
  qeff_model *m = nullptr;
  qeff_options *o = nullptr;
  qeff_program *p = nullptr;
  bool ok = qeff_model_load(g_model_dir.c_str(), nullptr, &m) == QEFF_OK && qeff_options_create(&o) == QEFF_OK &&
            qeff_options_set(o, "cache.enabled", "false") == QEFF_OK &&
            qeff_options_set_int(o, "compile.batch_size", 1) == QEFF_OK &&
            qeff_options_set_int(o, "compile.prefill_seq_len", 4) == QEFF_OK &&
            qeff_options_set_int(o, "compile.ctx_len", 16) == QEFF_OK && qeff_compile(m, o, &p) == QEFF_OK &&
            qeff_program_save(p, g_package.c_str(), nullptr) == QEFF_OK;
  if (!ok) {
    std::fprintf(stderr, "fuzz_capi: cannot compile the fixture %s: %s\n", g_model_dir.c_str(), qeff_last_error_message());
    std::abort();
  }
  qeff_tokenizer *tok = nullptr;
  if (qeff_program_tokenizer(p, &tok) != QEFF_OK || qeff_tokenizer_vocab_size(tok, &g_vocab) != QEFF_OK) std::abort();
  qeff_tokenizer_free(tok);
  qeff_program_free(p);
  qeff_options_free(o);
  qeff_model_free(m);
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(g_scratch, ec);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (g_package.empty()) LLVMFuzzerInitialize(nullptr, nullptr);
  Reader in{data, data != nullptr ? size : 0};
  run(in);
  return 0;
}
