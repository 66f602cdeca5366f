// A fixed pool of worker threads implementing kernels::Parallel. The calling
// thread takes part (it runs the first range), so a pool of N threads starts
// N - 1 workers. An exception thrown by a range is rethrown by parallel_for
// once every range has finished. One parallel_for at a time per pool: a session owns its pool
// and runs one step at a time. Workers spin briefly before sleeping, since a
// decode step runs hundreds of short kernels back to back.
#pragma once

#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "kernels/parallel.hpp"

namespace qeff::runtime {

class ThreadPool final : public kernels::Parallel {
 public:
  // threads <= 0: one per hardware thread (std::thread::hardware_concurrency).
  explicit ThreadPool(int threads);
  ~ThreadPool() override;
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int num_threads() const override { return static_cast<int>(workers_.size()) + 1; }
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)> &fn) override;

  static int default_threads();

 private:
  void worker(int index);

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int64_t)> *job_ = nullptr;
  int64_t n_ = 0;
  int parts_ = 0;
  uint64_t generation_ = 0;
  std::atomic<int> pending_{0};
  std::exception_ptr error_;  // the first exception a worker's range threw
  bool stop_ = false;
};

}  // namespace qeff::runtime
