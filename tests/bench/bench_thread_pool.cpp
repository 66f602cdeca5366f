// The runtime's thread pool alone (runtime/thread_pool.cpp): back-to-back
// jobs of a few microseconds each, as a decode step or a short encoder call
// runs hundreds of kernels, with `hogs` busy threads beside it to model an
// oversubscribed machine (another busy process, a second session's pool).
// Prints microseconds per job (the job's own work included), min / median
// over the runs. Not a test: run it by hand, e.g. on 2 cores
//
//   build/tests/bench/bench_thread_pool 2 20000 0   (alone)
//   build/tests/bench/bench_thread_pool 2 20000 1   (beside one busy thread)
//   build/tests/bench/bench_thread_pool 3 20000 2   (3 threads and 2 busy ones on 2 cores)
//
// Arguments: [threads=2] [jobs=20000] [hogs=0] [runs=5].
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "runtime/thread_pool.hpp"

int main(int argc, char **argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int jobs = argc > 2 ? std::atoi(argv[2]) : 20000;
  const int hogs = argc > 3 ? std::atoi(argv[3]) : 0;
  const int runs = argc > 4 ? std::atoi(argv[4]) : 5;
  if (threads < 1 || jobs < 1 || hogs < 0 || runs < 1) {
    std::fprintf(stderr, "usage: %s [threads>=1] [jobs>=1] [hogs>=0] [runs>=1]\n", argv[0]);
    return 2;
  }
  std::atomic<bool> stop{false};
  std::vector<std::thread> busy;
  for (int h = 0; h < hogs; ++h)
    busy.emplace_back([&stop] {
      volatile unsigned long x = 0;
      while (!stop.load(std::memory_order_relaxed)) x = x + 1;
    });
  qeff::runtime::ThreadPool pool(threads);
  std::atomic<long> sink{0};
  // One job: 64 items of ~200 multiply-adds each, split over the threads.
  const std::function<void(int64_t, int64_t)> job = [&sink](int64_t b, int64_t e) {
    long s = 0;
    for (int64_t i = b; i < e; ++i)
      for (int k = 0; k < 200; ++k) s += i * k;
    sink.fetch_add(s, std::memory_order_relaxed);
  };
  std::vector<double> us;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int j = 0; j < jobs; ++j) pool.parallel_for(64, job);
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / jobs);
  }
  stop = true;
  for (auto &t : busy) t.join();
  std::sort(us.begin(), us.end());
  std::printf("threads %d, hogs %d, %d jobs x %d runs: us per job min %.2f median %.2f (checksum %ld)\n", threads,
              hogs, jobs, runs, us.front(), us[us.size() / 2], sink.load());
  return 0;
}
