#include "common/log.hpp"

#include <mutex>

namespace qeff {
namespace {

struct Sink {
  qeff_log_fn fn = nullptr;
  qeff_log_level max_level = QEFF_LOG_ERROR;
  void *payload = nullptr;
};

std::mutex g_mutex;
Sink g_sink;

Sink current() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_sink;
}

}  // namespace

void set_log_callback(qeff_log_fn fn, qeff_log_level max_level, void *payload) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_sink = Sink{fn, max_level, payload};
}

bool log_enabled(qeff_log_level level) {
  Sink s = current();
  return s.fn != nullptr && level <= s.max_level;
}

void log(qeff_log_level level, const std::string &message) {
  Sink s = current();
  if (s.fn != nullptr && level <= s.max_level) s.fn(level, message.c_str(), s.payload);
}

}  // namespace qeff
