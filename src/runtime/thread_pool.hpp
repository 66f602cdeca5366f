// A fixed pool of worker threads implementing kernels::Parallel. The calling
// thread takes part (it runs the first range), so a pool of N threads starts
// N - 1 workers. An exception thrown by a range is rethrown by parallel_for
// once every range has finished. One parallel_for at a time per pool: a session owns its pool
// and runs one step at a time. Workers wait for the next job (and the caller
// for the workers) spinning up to 200 us before sleeping, since a decode step
// runs hundreds of short kernels back to back.
//
// fork() (qeff.h, "fork"): a child process has only the thread that forked, so
// a pool made before the fork has no workers there, and its mutex and
// condition variables count waiters that do not exist (waking or destroying
// them could block forever). A pthread_atfork child handler advances a fork
// generation; a pool from an older generation leaves its old workers' state
// alone (kept, never freed, reachable) and starts new workers at its next
// parallel_for, so sessions and programs made before the fork run in the child.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "kernels/parallel.hpp"

namespace qeff::runtime {

namespace detail {
struct Crew;  // the workers and what they share (thread_pool.cpp)
}

class ThreadPool final : public kernels::Parallel {
 public:
  // threads <= 0: one per hardware thread (std::thread::hardware_concurrency).
  explicit ThreadPool(int threads);
  ~ThreadPool() override;
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int num_threads() const override { return threads_; }
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)> &fn) override;

  static int default_threads();
  // Forks this process has been through since its first pool was made (the
  // count is inherited by children and advanced in each child).
  static uint64_t fork_generation();

 private:
  void start_crew();
  void stop_crew() noexcept;

  int threads_;
  uint64_t fork_generation_ = 0;        // fork_generation() when crew_ started
  std::unique_ptr<detail::Crew> crew_;  // null with one thread (no workers)
};

}  // namespace qeff::runtime
