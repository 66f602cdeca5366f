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

}  // namespace qeff::kernels
