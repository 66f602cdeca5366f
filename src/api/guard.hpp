// The ABI boundary: every extern "C" function body runs inside guarded(), which
// turns any exception into a status code plus the thread-local message, and
// clears the thread's error on success. Nothing escapes into C.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "qeff/qeff.h"

namespace qeff::api {

void set_error(qeff_status status, const std::string &message) noexcept;
void clear_error() noexcept;
qeff_status current_exception_status() noexcept;  // call inside catch (...)

template <typename F>
qeff_status guarded(F &&body) noexcept {
  try {
    body();
    clear_error();
    return QEFF_OK;
  } catch (...) {
    return current_exception_status();
  }
}

// Handles carry a tag so a wrong or freed handle of another type is refused.
enum : uint32_t {
  kModelTag = 0x4d4f444c,    // "MODL"
  kOptionsTag = 0x4f505453,  // "OPTS"
  kRequestTag = 0x52455153,  // "REQS"
  kProgramTag = 0x50524f47,  // "PROG"
  kSessionTag = 0x53455353,  // "SESS"
  kTensorsTag = 0x54454e53,  // "TENS"
  kTokenizerTag = 0x544f4b4e,  // "TOKN"
  kEncodingTag = 0x454e4344,   // "ENCD"
  kDecoderTag = 0x44454344,    // "DECD"
  kResultTag = 0x52534c54,     // "RSLT"
  kStreamTag = 0x5354524d,     // "STRM"
  kCancelTag = 0x434e434c,     // "CNCL"
  kDeadTag = 0xdeadbeef,
};

[[noreturn]] void fail_handle(const char *type, const char *function);

template <typename T>
const T &checked_handle(const T *h, uint32_t tag, const char *type, const char *function) {
  if (h == nullptr || h->tag != tag) fail_handle(type, function);
  return *h;
}

template <typename T>
T &checked_handle(T *h, uint32_t tag, const char *type, const char *function) {
  if (h == nullptr || h->tag != tag) fail_handle(type, function);
  return *h;
}

// The integer a C caller passed for an enum parameter. C may pass any int;
// reading an out-of-range value as the C++ enum type would be undefined.
template <typename E>
int enum_value(const E &e) noexcept {
  static_assert(sizeof(E) == sizeof(int), "C enums are int-sized");
  int v;
  std::memcpy(&v, &e, sizeof v);
  return v;
}

// Fails with QEFF_E_INVALID_ARGUMENT when `p` is NULL.
void require(const void *p, const char *what, const char *function);

// `*_create` of a default-constructed handle type.
template <typename T>
qeff_status create_handle(T **out, const char *function) noexcept {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    require(out, "out", function);
    *out = new T();
  });
}

// `*_free`: NULL and handles of another type (or already freed, best effort)
// are ignored; the tag is poisoned before the memory is released.
template <typename T>
void free_handle(T *h, uint32_t tag) noexcept {
  if (h == nullptr || h->tag != tag) return;
  h->tag = kDeadTag;
  delete h;
}

}  // namespace qeff::api
