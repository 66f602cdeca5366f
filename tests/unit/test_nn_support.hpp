// Helpers of the nn kernel and op tests: a 2-thread Parallel, aligned
// workspaces, seeded random data, float distance in ulps.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "kernels/cpu.hpp"
#include "kernels/parallel.hpp"

namespace nn_test {

// Runs parallel_for ranges on `threads` std::threads (the caller takes the
// first range), as the runtime's pool does, so races and range bugs show.
class ThreadParallel final : public qeff::kernels::Parallel {
 public:
  explicit ThreadParallel(int threads) : threads_(threads) {}
  int num_threads() const override { return threads_; }
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)> &fn) override {
    if (n <= 0) return;
    const int64_t parts = std::min<int64_t>(n, threads_);
    std::vector<std::thread> pool;
    for (int64_t p = 1; p < parts; ++p) pool.emplace_back([&, p] { fn(p * n / parts, (p + 1) * n / parts); });
    fn(0, n / parts);
    for (auto &t : pool) t.join();
  }

 private:
  int threads_;
};

// 64-byte aligned scratch memory, filled with a pattern so that reads of
// unwritten workspace show up as garbage rather than zeros.
class Workspace {
 public:
  explicit Workspace(uint64_t bytes) : bytes_(bytes) {
    if (bytes == 0) return;
    const uint64_t rounded = (bytes + 63) & ~uint64_t{63};
    ptr_.reset(static_cast<uint8_t *>(std::aligned_alloc(64, rounded)));
    std::memset(ptr_.get(), 0xA5, rounded);
  }
  void *get() const { return ptr_.get(); }
  uint64_t size() const { return bytes_; }

 private:
  struct Free {
    void operator()(uint8_t *p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> ptr_;
  uint64_t bytes_;
};

inline std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float &x : v) x = dist(rng);
  return v;
}

// Distance in units in the last place (0 for equal values, both NaN, or
// +0 / -0); "infinitely" far for NaN against a number.
inline double ulp_distance(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0.0 : 1e30;
  auto ordered = [](float f) {
    int32_t i;
    std::memcpy(&i, &f, 4);
    return i < 0 ? static_cast<int64_t>(INT32_MIN) - i : static_cast<int64_t>(i);
  };
  return static_cast<double>(std::llabs(ordered(a) - ordered(b)));
}

// The ISAs this machine runs, portable first.
inline std::vector<qeff::kernels::Isa> supported_isas() {
  std::vector<qeff::kernels::Isa> out;
  for (auto isa : qeff::kernels::kAllIsas)
    if (qeff::kernels::isa_supported(isa)) out.push_back(isa);
  return out;
}

// Forces an ISA for one scope.
class IsaScope {
 public:
  explicit IsaScope(qeff::kernels::Isa isa) { qeff::kernels::force_isa(isa); }
  ~IsaScope() { qeff::kernels::reset_isa(); }
  IsaScope(const IsaScope &) = delete;
  IsaScope &operator=(const IsaScope &) = delete;
};

}  // namespace nn_test
