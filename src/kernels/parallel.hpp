// How kernels run in parallel without knowing who owns the threads: the
// runtime's thread pool implements Parallel; constant folding at compile time
// uses SerialParallel. A kernel splits its work into `n` independent tasks and
// calls parallel_for; the implementation runs fn(begin, end) on disjoint
// ranges covering [0, n), possibly on several threads, and returns when all are
// done. fn must not throw (kernels report errors before running).
#pragma once

#include <cstdint>
#include <functional>

namespace qeff::kernels {

class Parallel {
 public:
  virtual ~Parallel() = default;
  virtual int num_threads() const = 0;
  // Runs fn over [0, n) split into at most num_threads() contiguous ranges
  // (fewer when n is small). Ranges never overlap; fn(b, e) with b < e.
  virtual void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)> &fn) = 0;
};

// Runs everything on the calling thread, as one range.
class SerialParallel final : public Parallel {
 public:
  int num_threads() const override { return 1; }
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)> &fn) override {
    if (n > 0) fn(0, n);
  }
};

// Below this much work (elements touched, about) a kernel runs on the
// calling thread: handing ranges to the pool costs microseconds, more than
// such work (a decode step runs hundreds of kernels on single rows).
inline constexpr int64_t kParallelMinWork = 1 << 15;

// parallel_for over n tasks of about `work` elements each, on the calling
// thread as one range when n * work < kParallelMinWork.
inline void parallel_for_work(Parallel &p, int64_t n, int64_t work,
                              const std::function<void(int64_t, int64_t)> &fn) {
  if (n <= 0) return;
  if (n < 2 || p.num_threads() <= 1 || n * (work < 1 ? 1 : work) < kParallelMinWork) return fn(0, n);
  p.parallel_for(n, fn);
}

}  // namespace qeff::kernels
