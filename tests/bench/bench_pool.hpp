// The benchmarks' thread pool: persistent workers that spin (yielding)
// between jobs, so small shapes measure the kernel rather than a wake-up.
#pragma once

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "kernels/parallel.hpp"

namespace qeff::bench {

// A persistent pool: the caller runs range 0, workers the others. Workers
// spin (yielding) between jobs so small shapes measure the kernel, not a
// wake-up.
class Pool final : public kernels::Parallel {
 public:
  explicit Pool(int threads) : threads_(threads) {
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { work(i); });
  }
  ~Pool() override {
    stop_ = true;
    generation_.fetch_add(1);
    for (auto &w : workers_) w.join();
  }
  int num_threads() const override { return threads_; }
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)> &fn) override {
    if (n <= 0) return;
    n_ = n;
    fn_ = &fn;
    pending_.store(threads_ - 1);
    generation_.fetch_add(1, std::memory_order_release);
    run_range(0);
    while (pending_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  }
  // Runs fn(thread index) once on every thread of the pool (per-thread setup).
  void on_each_thread(const std::function<void(int)> &fn) {
    parallel_for(threads_, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) fn(static_cast<int>(i));
    });
  }

 private:
  void run_range(int i) {
    const int64_t b = n_ * i / threads_, e = n_ * (i + 1) / threads_;
    if (b < e) (*fn_)(b, e);
  }
  void work(int i) {
    uint64_t seen = 0;
    for (;;) {
      uint64_t g;
      while ((g = generation_.load(std::memory_order_acquire)) == seen) std::this_thread::yield();
      seen = g;
      if (stop_) return;
      run_range(i);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }
  int threads_;
  std::vector<std::thread> workers_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  int64_t n_ = 0;
  const std::function<void(int64_t, int64_t)> *fn_ = nullptr;
};

}  // namespace qeff::bench
