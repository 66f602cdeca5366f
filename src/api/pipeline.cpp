// Generate: the signature is final; the embedding and generation loops are
// not built yet, so it validates its arguments and returns QEFF_E_UNSUPPORTED.
// Requests are real: they only hold inputs.
#include <string>

#include "api/handles.hpp"
#include "common/error.hpp"
#include "common/utf8.hpp"

using qeff::api::checked_handle;
using qeff::api::guarded;
using qeff::api::kRequestTag;
using qeff::api::require;

struct qeff_result {};

extern "C" {

qeff_status qeff_generate(const qeff_program *program, const qeff_request *request,
                          const qeff_options *options, qeff_result **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    checked_handle(program, qeff::api::kProgramTag, "qeff_program", "qeff_generate");
    checked_handle(request, kRequestTag, "qeff_request", "qeff_generate");
    qeff::api::options_or_default(options, "qeff_generate");
    require(out, "out", "qeff_generate");
    qeff::fail(QEFF_E_UNSUPPORTED, "qeff_generate: embedding and generation loops are not available in qeff " +
                                       std::string(QEFF_VERSION_STRING));
  });
}

void qeff_result_free(qeff_result *result) { delete result; }

qeff_status qeff_request_create(qeff_request **out) {
  return qeff::api::create_handle(out, "qeff_request_create");
}

void qeff_request_free(qeff_request *request) { qeff::api::free_handle(request, kRequestTag); }

qeff_status qeff_request_add_text(qeff_request *request, const char *text, size_t length) {
  return guarded([&] {
    qeff_request &r = checked_handle(request, kRequestTag, "qeff_request", "qeff_request_add_text");
    if (length > 0) require(text, "text", "qeff_request_add_text");
    if (!r.tokens.empty())
      qeff::fail(QEFF_E_INVALID_ARGUMENT,
                 "qeff_request_add_text: the request already holds token-id rows; a request is "
                 "either all texts or all token ids");
    const qeff::Options defaults;
    auto cap = static_cast<uint64_t>(defaults.get_int("limits.input_bytes"));
    if (length > cap)
      qeff::fail(QEFF_E_LIMIT, "qeff_request_add_text: text of " + std::to_string(length) +
                                   " bytes exceeds limits.input_bytes = " + std::to_string(cap));
    std::string_view t(length > 0 ? text : "", length);
    size_t bad = qeff::utf8_first_invalid(t);
    if (bad != t.size())
      qeff::fail(QEFF_E_INVALID_ARGUMENT, "qeff_request_add_text: invalid UTF-8 at byte " +
                                              std::to_string(bad) + " of row " +
                                              std::to_string(r.texts.size()));
    r.texts.emplace_back(t);
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
