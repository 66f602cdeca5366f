// runtime::ThreadPool (docs/runtime.md): the ranges a parallel_for hands out,
// exceptions, and each way a handoff can go: workers spinning or asleep when
// a job is posted, the caller spinning or asleep when the last range ends.
// Its own executable in the concurrency suite, so the TSan build runs it.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <thread>
#include <vector>

#include "runtime/thread_pool.hpp"

namespace {

using qeff::runtime::ThreadPool;

// Runs parallel_for(n) and checks that the ranges cover [0, n) once each, in
// at most num_threads() pieces.
void expect_cover(ThreadPool &pool, int64_t n) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  std::atomic<int> ranges{0};
  pool.parallel_for(n, [&](int64_t b, int64_t e) {
    ASSERT_LT(b, e);
    ranges.fetch_add(1);
    for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
  });
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "n " << n << " index " << i;
  EXPECT_LE(ranges.load(), pool.num_threads());
  EXPECT_EQ(ranges.load(), std::min<int64_t>(n, pool.num_threads()));
}

TEST(ThreadPool, RangesCoverEveryIndexOnce) {
  for (int threads : {1, 2, 3, 4}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.num_threads(), threads);
    for (int64_t n : {1, 2, 3, 5, 7, 64, 1000}) expect_cover(pool, n);
    pool.parallel_for(0, [](int64_t, int64_t) { FAIL() << "no range for n = 0"; });
  }
}

// Thousands of back-to-back jobs: the workers are spinning when each is
// posted and the caller spins for the last range (the decode step's case).
// Two threads: more than the cores (tests run side by side) turns the spins
// into sched_yield rounds of milliseconds each.
TEST(ThreadPool, BackToBackJobsEachRunOnce) {
  ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  constexpr int kJobs = 5000;
  for (int job = 0; job < kJobs; ++job)
    pool.parallel_for(2, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) sum.fetch_add(i + 1);
    });
  EXPECT_EQ(sum.load(), int64_t{kJobs} * 3);
}

// A range that outlasts the caller's spin (200 us): the caller sleeps on the
// condition variable, and the last range must wake it.
TEST(ThreadPool, SleepingCallerIsWokenByTheLastRange) {
  ThreadPool pool(2);
  for (int job = 0; job < 20; ++job) {
    std::atomic<int> done{0};
    pool.parallel_for(2, [&](int64_t b, int64_t) {
      if (b == 1) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      done.fetch_add(1);
    });
    ASSERT_EQ(done.load(), 2);
  }
}

// Jobs posted after the workers went to sleep (idle longer than their spin)
// wake them.
TEST(ThreadPool, SleepingWorkersWakeForTheNextJob) {
  ThreadPool pool(3);
  for (int job = 0; job < 10; ++job) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    expect_cover(pool, 3);
  }
}

TEST(ThreadPool, ExceptionsAreRethrownAfterEveryRangeEnds) {
  ThreadPool pool(2);
  std::atomic<int> finished{0};
  auto job = [&](int64_t b, int64_t) {
    if (b == 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      finished.fetch_add(1);
      throw std::runtime_error("worker range");
    }
    finished.fetch_add(1);
  };
  EXPECT_THROW(pool.parallel_for(2, job), std::runtime_error);
  EXPECT_EQ(finished.load(), 2);
  // The caller's own exception, with the worker's range still running.
  finished = 0;
  EXPECT_THROW(pool.parallel_for(2,
                                 [&](int64_t b, int64_t) {
                                   if (b == 0) throw std::logic_error("caller range");
                                   std::this_thread::sleep_for(std::chrono::milliseconds(1));
                                   finished.fetch_add(1);
                                 }),
               std::logic_error);
  EXPECT_EQ(finished.load(), 1);
  expect_cover(pool, 2);  // usable afterwards
}

}  // namespace
