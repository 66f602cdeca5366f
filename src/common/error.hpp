// The error model of the C++ core: every failure is a qeff::Error carrying a
// public status code and a message naming the file, field, value and limit.
// The api layer turns it into a status + thread-local message; nothing throws
// across the C ABI.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "qeff/qeff.h"

namespace qeff {

class Error : public std::runtime_error {
 public:
  Error(qeff_status status, std::string message)
      : std::runtime_error(std::move(message)), status_(status) {}
  qeff_status status() const noexcept { return status_; }

 private:
  qeff_status status_;
};

[[noreturn]] void fail(qeff_status status, std::string message);

// Quote untrusted text for an error message: wrapped in double quotes, control
// bytes, quotes and invalid UTF-8 escaped as \xNN, cut at `max_bytes` with "...".
std::string quote(std::string_view text, size_t max_bytes = 160);

}  // namespace qeff
