#include "common/log.hpp"

#include <pthread.h>

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

// fork() (qeff.h, "fork"): the sink's mutex is taken around the fork so that a
// thread copying the sink at that moment cannot leave it locked in the child.
void lock_for_fork() { g_mutex.lock(); }
void unlock_after_fork() { g_mutex.unlock(); }
const int g_atfork = pthread_atfork(lock_for_fork, unlock_after_fork, unlock_after_fork);

Sink current() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_sink;
}

}  // namespace

void set_log_callback(qeff_log_fn fn, qeff_log_level max_level, void *payload) {
  (void)g_atfork;
  std::lock_guard<std::mutex> lock(g_mutex);
  g_sink = Sink{fn, max_level, payload};
}

bool log_enabled(qeff_log_level level) {
  Sink s = current();
  return s.fn != nullptr && level <= s.max_level;
}

void log(qeff_log_level level, const std::string &message) {
  Sink s = current();
  if (s.fn == nullptr || level > s.max_level) return;
  // qeff.h: the callback must not throw. A C++ exception it lets escape is
  // dropped here with its message, so it never unwinds through qeff (where it
  // would abort the call that logged, or terminate from a noexcept frame).
  try {
    s.fn(level, message.c_str(), s.payload);
  } catch (...) {
  }
}

}  // namespace qeff
