// Status codes, the thread-local last error, version queries and logging.
#include <new>
#include <string>
#include <system_error>

#include "api/guard.hpp"
#include "common/error.hpp"
#include "common/log.hpp"

namespace qeff::api {
namespace {

struct LastError {
  qeff_status status = QEFF_OK;
  std::string message;
};

LastError &last_error() {
  thread_local LastError e;
  return e;
}

}  // namespace

void set_error(qeff_status status, const std::string &message) noexcept {
  LastError &e = last_error();
  e.status = status;
  try {
    e.message = message;
  } catch (...) {
    e.message.clear();  // out of memory: keep the status, drop the text
  }
  if (log_enabled(QEFF_LOG_DEBUG)) {
    try {
      log(QEFF_LOG_DEBUG, std::string(qeff_status_name(status)) + ": " + message);
    } catch (...) {
    }
  }
}

void clear_error() noexcept {
  LastError &e = last_error();
  e.status = QEFF_OK;
  e.message.clear();
}

qeff_status current_exception_status() noexcept {
  try {
    throw;
  } catch (const Error &e) {
    set_error(e.status(), e.what());
    return e.status();
  } catch (const std::bad_alloc &) {
    set_error(QEFF_E_OOM, "out of memory");
    return QEFF_E_OOM;
  } catch (const std::system_error &e) {
    // A thread or other resource the system could not give (std::thread's
    // EAGAIN under RLIMIT_AS / RLIMIT_NPROC, ENOMEM) is exhaustion, not a bug.
    if (e.code() == std::errc::resource_unavailable_try_again || e.code() == std::errc::not_enough_memory) {
      set_error(QEFF_E_OOM, std::string("out of memory or threads: ") + e.what());
      return QEFF_E_OOM;
    }
    set_error(QEFF_E_INTERNAL, std::string("internal error: ") + e.what());
    return QEFF_E_INTERNAL;
  } catch (const std::exception &e) {
    set_error(QEFF_E_INTERNAL, std::string("internal error: ") + e.what());
    return QEFF_E_INTERNAL;
  } catch (...) {
    set_error(QEFF_E_INTERNAL, "internal error: unknown exception");
    return QEFF_E_INTERNAL;
  }
}

void fail_handle(const char *type, const char *function) {
  fail(QEFF_E_INVALID_HANDLE,
       std::string(function) + ": the " + type + " handle is NULL or not a live " + type);
}

void require(const void *p, const char *what, const char *function) {
  if (p == nullptr) fail(QEFF_E_INVALID_ARGUMENT, std::string(function) + ": " + what + " is NULL");
}

}  // namespace qeff::api

using qeff::api::guarded;

extern "C" {

const char *qeff_version(void) { return QEFF_VERSION_STRING; }

int qeff_version_number(void) { return QEFF_VERSION_NUMBER; }

const char *qeff_status_name(qeff_status status) {
  switch (qeff::api::enum_value(status)) {
    case QEFF_OK: return "QEFF_OK";
    case QEFF_E_INVALID_ARGUMENT: return "QEFF_E_INVALID_ARGUMENT";
    case QEFF_E_NOT_FOUND: return "QEFF_E_NOT_FOUND";
    case QEFF_E_IO: return "QEFF_E_IO";
    case QEFF_E_FORMAT: return "QEFF_E_FORMAT";
    case QEFF_E_CONFIG: return "QEFF_E_CONFIG";
    case QEFF_E_MISMATCH: return "QEFF_E_MISMATCH";
    case QEFF_E_UNSUPPORTED: return "QEFF_E_UNSUPPORTED";
    case QEFF_E_LIMIT: return "QEFF_E_LIMIT";
    case QEFF_E_OOM: return "QEFF_E_OOM";
    case QEFF_E_SECURITY: return "QEFF_E_SECURITY";
    case QEFF_E_CONTEXT_OVERFLOW: return "QEFF_E_CONTEXT_OVERFLOW";
    case QEFF_E_NUMERIC: return "QEFF_E_NUMERIC";
    case QEFF_E_CANCELLED: return "QEFF_E_CANCELLED";
    case QEFF_E_BUSY: return "QEFF_E_BUSY";
    case QEFF_E_INVALID_HANDLE: return "QEFF_E_INVALID_HANDLE";
    case QEFF_E_STATE: return "QEFF_E_STATE";
    case QEFF_E_INTERNAL: return "QEFF_E_INTERNAL";
  }
  return "QEFF_E_UNKNOWN";
}

const char *qeff_last_error_message(void) { return qeff::api::last_error().message.c_str(); }

qeff_status qeff_last_error_code(void) { return qeff::api::last_error().status; }

void qeff_clear_error(void) { qeff::api::clear_error(); }

qeff_status qeff_set_log_callback(qeff_log_fn fn, qeff_log_level max_level, void *payload) {
  return guarded([&] {
    int level = qeff::api::enum_value(max_level);
    if (level < QEFF_LOG_ERROR || level > QEFF_LOG_DEBUG)
      qeff::fail(QEFF_E_INVALID_ARGUMENT,
                 "qeff_set_log_callback: unknown log level " + std::to_string(level));
    qeff::set_log_callback(fn, max_level, payload);
  });
}

}  // extern "C"
