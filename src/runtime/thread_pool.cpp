#include "runtime/thread_pool.hpp"

#include <algorithm>
#include <exception>
#include <utility>

namespace qeff::runtime {

int ThreadPool::default_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

ThreadPool::ThreadPool(int threads) {
  int n = threads <= 0 ? default_threads() : threads;
  for (int i = 1; i < n; ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto &t : workers_) t.join();
}

namespace {
// Range `part` of `parts` over [0, n): balanced, contiguous.
std::pair<int64_t, int64_t> range(int64_t n, int part, int parts) {
  return {n * part / parts, n * (part + 1) / parts};
}
}  // namespace

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)> &fn) {
  if (n <= 0) return;
  int parts = static_cast<int>(std::min<int64_t>(n, num_threads()));
  if (parts == 1) {
    fn(0, n);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &fn;
    n_ = n;
    parts_ = parts;
    pending_.store(parts - 1, std::memory_order_relaxed);
    ++generation_;
  }
  wake_.notify_all();
  auto [b, e] = range(n, 0, parts);
  std::exception_ptr mine;
  try {
    fn(b, e);
  } catch (...) {
    mine = std::current_exception();  // rethrown once the workers are done with fn
  }
  // Spin first: the other ranges usually finish within microseconds of ours.
  for (int spin = 0; spin < 20000 && pending_.load(std::memory_order_acquire) > 0; ++spin) std::this_thread::yield();
  std::unique_lock<std::mutex> lock(mu_);
  done_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
  job_ = nullptr;
  std::exception_ptr theirs = std::exchange(error_, nullptr);
  lock.unlock();
  if (mine) std::rethrow_exception(mine);
  if (theirs) std::rethrow_exception(theirs);
}

void ThreadPool::worker(int index) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(int64_t, int64_t)> *job;
    int64_t n;
    int parts;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_, n = n_, parts = parts_;
    }
    if (index < parts) {
      auto [b, e] = range(n, index, parts);
      try {
        (*job)(b, e);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu_);
        if (!error_) error_ = std::current_exception();
      }
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mu_);
        done_.notify_all();
      }
    }
  }
}

}  // namespace qeff::runtime
