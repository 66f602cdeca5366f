// Requests: the inputs of qeff_generate (texts, text pairs or token ids).
#include <string>

#include "api/request.hpp"
#include "common/error.hpp"
#include "common/utf8.hpp"

using qeff::api::checked_handle;
using qeff::api::guarded;
using qeff::api::kRequestTag;
using qeff::api::require;

namespace {

// A checked text argument of `function` (row `row`): NULL only when empty,
// within limits.input_bytes, valid UTF-8.
std::string checked_text(const char *text, size_t length, const char *what, size_t row, const char *function) {
  if (length > 0) require(text, what, function);
  const qeff::Options defaults;
  auto cap = static_cast<uint64_t>(defaults.get_int("limits.input_bytes"));
  if (length > cap)
    qeff::fail(QEFF_E_LIMIT, std::string(function) + ": " + what + " of " + std::to_string(length) +
                                 " bytes exceeds limits.input_bytes = " + std::to_string(cap));
  std::string_view t(length > 0 ? text : "", length);
  size_t bad = qeff::utf8_first_invalid(t);
  if (bad != t.size())
    qeff::fail(QEFF_E_INVALID_ARGUMENT, std::string(function) + ": invalid UTF-8 at byte " + std::to_string(bad) +
                                            " of " + what + " (row " + std::to_string(row) + ")");
  return std::string(t);
}

qeff_request &text_request(qeff_request *request, const char *function) {
  qeff_request &r = checked_handle(request, kRequestTag, "qeff_request", function);
  if (!r.tokens.empty())
    qeff::fail(QEFF_E_INVALID_ARGUMENT, std::string(function) +
                                            ": the request already holds token-id rows; a request is either all "
                                            "texts or all token ids");
  return r;
}

}  // namespace

namespace qeff::api {

void check_request_limits(const qeff_request &r, const Options &o) {
  auto check = [&](uint64_t value, const char *what, const char *key) {
    const auto cap = static_cast<uint64_t>(o.get_int(key));
    if (value > cap)
      fail(QEFF_E_LIMIT, "the request has " + std::to_string(value) + " " + what + ", above " + key + " = " +
                             std::to_string(cap));
  };
  check(r.texts.size() + r.tokens.size(), "rows", "limits.batch_rows");
  uint64_t bytes = 0, tokens = 0;
  for (const auto &t : r.texts) bytes += t.first.size() + (t.second ? t.second->size() : 0);
  for (const auto &ids : r.tokens) tokens += ids.size();
  check(bytes, "text bytes", "limits.request_bytes");
  check(tokens, "token ids", "limits.request_tokens");
}

}  // namespace qeff::api

extern "C" {

qeff_status qeff_request_create(qeff_request **out) {
  return qeff::api::create_handle(out, "qeff_request_create");
}

void qeff_request_free(qeff_request *request) { qeff::api::free_handle(request, kRequestTag); }

qeff_status qeff_request_add_text(qeff_request *request, const char *text, size_t length) {
  return guarded([&] {
    const char *fn = "qeff_request_add_text";
    qeff_request &r = text_request(request, fn);
    r.texts.push_back({checked_text(text, length, "text", r.texts.size(), fn), std::nullopt});
  });
}

qeff_status qeff_request_add_text_pair(qeff_request *request, const char *first, size_t first_length,
                                       const char *second, size_t second_length) {
  return guarded([&] {
    const char *fn = "qeff_request_add_text_pair";
    qeff_request &r = text_request(request, fn);
    std::string a = checked_text(first, first_length, "first", r.texts.size(), fn);
    std::string b = checked_text(second, second_length, "second", r.texts.size(), fn);
    r.texts.push_back({std::move(a), std::move(b)});
  });
}

qeff_status qeff_request_add_tokens(qeff_request *request, const int32_t *ids, size_t count) {
  return guarded([&] {
    qeff_request &r = checked_handle(request, kRequestTag, "qeff_request", "qeff_request_add_tokens");
    if (count > 0) require(ids, "ids", "qeff_request_add_tokens");
    if (!r.texts.empty())
      qeff::fail(QEFF_E_INVALID_ARGUMENT,
                 "qeff_request_add_tokens: the request already holds text rows; a request is either "
                 "all texts or all token ids");
    for (size_t i = 0; i < count; ++i)
      if (ids[i] < 0)
        qeff::fail(QEFF_E_INVALID_ARGUMENT, "qeff_request_add_tokens: token id " +
                                                std::to_string(ids[i]) + " at position " +
                                                std::to_string(i) + " is negative");
    r.tokens.emplace_back(ids, ids + count);
  });
}

qeff_status qeff_request_num_rows(const qeff_request *request, size_t *out) {
  return guarded([&] {
    const qeff_request &r = checked_handle(request, kRequestTag, "qeff_request", "qeff_request_num_rows");
    require(out, "out", "qeff_request_num_rows");
    *out = r.texts.size() + r.tokens.size();
  });
}

}  // extern "C"
