// Sessions for qeff_generate and streams: a program keeps a small pool of idle
// sessions (by thread count) so repeated calls reuse their arenas, and each
// call or stream borrows its own (sessions run one call at a time). The pool is
// shared, so a stream that outlives its program handle still returns its
// session safely.
#pragma once

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "runtime/session.hpp"

namespace qeff::api {

struct SessionPool {
  explicit SessionPool(std::shared_ptr<const runtime::Executable> e) : exe(std::move(e)) {}
  std::shared_ptr<const runtime::Executable> exe;
  std::mutex mutex;
  std::vector<std::pair<int, std::unique_ptr<runtime::Session>>> idle;
};

// A session borrowed from a pool until destruction.
class PooledSession {
 public:
  PooledSession(std::shared_ptr<SessionPool> pool, int threads) : pool_(std::move(pool)), threads_(threads) {
    {
      std::lock_guard<std::mutex> lock(pool_->mutex);
      for (auto it = pool_->idle.begin(); it != pool_->idle.end(); ++it)
        if (it->first == threads_) {
          s_ = std::move(it->second);
          pool_->idle.erase(it);
          break;
        }
    }
    if (!s_) s_ = std::make_unique<runtime::Session>(pool_->exe, threads_);
  }
  ~PooledSession() {
    // Retained state (KV caches) is dropped: the next borrower starts clean,
    // and a session a failed run poisoned is usable again.
    try {
      s_->reset_state();
    } catch (...) {
      return;  // not reusable: dropped
    }
    std::lock_guard<std::mutex> lock(pool_->mutex);
    if (pool_->idle.size() < kMaxIdle) pool_->idle.emplace_back(threads_, std::move(s_));
  }
  PooledSession(const PooledSession &) = delete;
  PooledSession &operator=(const PooledSession &) = delete;
  runtime::Session &operator*() { return *s_; }

 private:
  static constexpr size_t kMaxIdle = 8;
  std::shared_ptr<SessionPool> pool_;
  int threads_;
  std::unique_ptr<runtime::Session> s_;
};

}  // namespace qeff::api
