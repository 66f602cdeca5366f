#include "runtime/thread_pool.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <limits>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace qeff::runtime {
namespace detail {

struct Crew {
  std::vector<std::thread> workers;
  std::mutex mu;
  std::condition_variable wake, done;
  const std::function<void(int64_t, int64_t)> *job = nullptr;
  int64_t n = 0;
  int parts = 0;
  uint64_t generation = 0;
  std::atomic<uint64_t> posted{0};  // generation, for waiting without the lock
  std::atomic<int> pending{0};
  std::atomic<bool> caller_asleep{false};  // parallel_for's caller waits on `done`
  std::exception_ptr error;  // the first exception a worker's range threw
  bool stop = false;
  Crew *next_orphan = nullptr;
};

}  // namespace detail

namespace {

using detail::Crew;

std::atomic<uint64_t> g_fork_generation{0};

// Runs in the child of fork(): async-signal-safe (one atomic increment).
void on_fork_child() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

// Crews of pools made before a fork, given up in the child: their workers do
// not exist there and their mutex and condition variables still count those
// workers' waits, so they are never woken, joined or destroyed. The list keeps
// them reachable (they are few: one per pool alive at the fork).
std::atomic<Crew *> g_orphans{nullptr};

void orphan(Crew *c) {
  if (c == nullptr) return;  // c->workers stay as they are: destroying them would terminate
  Crew *head = g_orphans.load(std::memory_order_relaxed);
  do c->next_orphan = head;
  while (!g_orphans.compare_exchange_weak(head, c, std::memory_order_release, std::memory_order_relaxed));
}

// Range `part` of `parts` over [0, n): balanced, contiguous.
std::pair<int64_t, int64_t> range(int64_t n, int part, int parts) {
  return {n * part / parts, n * (part + 1) / parts};
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// Waits up to kSpinTotal for `ready` without sleeping: pause instructions for
// the first kSpinPause (the other thread is almost always that close), then
// yields (another runnable thread, e.g. on an oversubscribed machine, gets
// the core). A decode step runs hundreds of short kernels back to back: a
// futex sleep and wake-up between them cost tens of microseconds each.
//
// On an oversubscribed machine (more runnable threads than cores: two
// sessions' pools, another busy process) the pause phase burns time another
// thread could run in: while a yield has given the core away (returned after
// more than kYieldGaveAway) within the last kContendedFor, waits skip the
// pause phase and yield from their first time check (32 polls in). Alone on
// its cores a yield returns at once and the pause phase stays (yielding early
// there delays the next kernel's start).
constexpr auto kSpinPause = std::chrono::microseconds(20);
constexpr auto kSpinTotal = std::chrono::microseconds(200);
constexpr auto kYieldGaveAway = std::chrono::microseconds(50);
constexpr auto kContendedFor = std::chrono::milliseconds(50);

using SpinClock = std::chrono::steady_clock;

// When a yield last gave the core away (SpinClock ticks since its epoch):
// process-wide, as oversubscription is the machine's state; written only then.
std::atomic<SpinClock::rep> g_gave_away_at{std::numeric_limits<SpinClock::rep>::min() / 2};

template <class Ready>
void spin_until(Ready ready) {
  const auto start = SpinClock::now();
  const SpinClock::time_point gave_away{SpinClock::duration(g_gave_away_at.load(std::memory_order_relaxed))};
  const SpinClock::duration pause_phase = start - gave_away < kContendedFor ? SpinClock::duration::zero()
                                                                            : SpinClock::duration(kSpinPause);
  for (unsigned i = 0;; ++i) {
    if (ready()) return;
    if (i % 32 == 31) {
      const auto now = SpinClock::now();
      const auto waited = now - start;
      if (waited > kSpinTotal) return;
      if (waited > pause_phase) {
        std::this_thread::yield();
        const auto back = SpinClock::now();
        if (back - now > kYieldGaveAway) g_gave_away_at.store(back.time_since_epoch().count(), std::memory_order_relaxed);
        continue;
      }
    }
    cpu_relax();
  }
}

void work(Crew *c, int index) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(int64_t, int64_t)> *job;
    int64_t n;
    int parts;
    spin_until([&] { return c->posted.load(std::memory_order_acquire) != seen; });
    {
      std::unique_lock<std::mutex> lock(c->mu);
      c->wake.wait(lock, [&] { return c->stop || c->generation != seen; });
      if (c->stop) return;
      seen = c->generation;
      job = c->job, n = c->n, parts = c->parts;
    }
    if (index < parts) {
      auto [b, e] = range(n, index, parts);
      try {
        (*job)(b, e);
      } catch (...) {
        std::lock_guard<std::mutex> lock(c->mu);
        if (!c->error) c->error = std::current_exception();
      }
      // The last range wakes the caller only when it sleeps: taking the
      // mutex while the caller, spinning, reaches for it would send the
      // caller to a futex wait. Both sides are seq_cst (a store then a load
      // of the other's variable), so one of them sees the other's store.
      if (c->pending.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
          c->caller_asleep.load(std::memory_order_seq_cst)) {
        std::lock_guard<std::mutex> lock(c->mu);
        c->done.notify_all();
      }
    }
  }
}

}  // namespace

int ThreadPool::default_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

uint64_t ThreadPool::fork_generation() { return g_fork_generation.load(std::memory_order_relaxed); }

ThreadPool::ThreadPool(int threads) : threads_(threads <= 0 ? default_threads() : threads) {
  static const int registered = pthread_atfork(nullptr, nullptr, on_fork_child);
  (void)registered;
  if (threads_ > 1) start_crew();
}

ThreadPool::~ThreadPool() { stop_crew(); }

void ThreadPool::start_crew() {
  crew_ = std::make_unique<Crew>();
  fork_generation_ = fork_generation();
  try {
    for (int i = 1; i < threads_; ++i) crew_->workers.emplace_back(work, crew_.get(), i);
  } catch (...) {
    stop_crew();  // joins the workers already started
    throw;
  }
}

void ThreadPool::stop_crew() noexcept {
  if (!crew_) return;
  if (fork_generation_ != fork_generation()) {
    orphan(crew_.release());  // made before a fork: its workers are not in this process
    return;
  }
  {
    std::lock_guard<std::mutex> lock(crew_->mu);
    crew_->stop = true;
  }
  crew_->wake.notify_all();
  for (auto &t : crew_->workers) t.join();
  crew_.reset();
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)> &fn) {
  if (n <= 0) return;
  int parts = static_cast<int>(std::min<int64_t>(n, threads_));
  if (parts == 1) {
    fn(0, n);
    return;
  }
  if (!crew_ || fork_generation_ != fork_generation()) {
    stop_crew();  // after a fork: gives up the parent's crew
    start_crew();
  }
  Crew &c = *crew_;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    c.job = &fn;
    c.n = n;
    c.parts = parts;
    c.pending.store(parts - 1, std::memory_order_relaxed);
    ++c.generation;
  }
  // Published after the unlock: a spinning worker that sees it finds the
  // mutex free (a worker meeting it held would sleep on a futex until the
  // unlock woke it, microseconds on a virtual machine).
  c.posted.store(c.generation, std::memory_order_release);
  c.wake.notify_all();
  auto [b, e] = range(n, 0, parts);
  std::exception_ptr mine;
  try {
    fn(b, e);
  } catch (...) {
    mine = std::current_exception();  // rethrown once the workers are done with fn
  }
  // Spin first: the other ranges usually finish within microseconds of ours.
  spin_until([&c] { return c.pending.load(std::memory_order_acquire) == 0; });
  std::unique_lock<std::mutex> lock(c.mu);
  if (c.pending.load(std::memory_order_acquire) != 0) {
    c.caller_asleep.store(true, std::memory_order_seq_cst);
    c.done.wait(lock, [&c] { return c.pending.load(std::memory_order_seq_cst) == 0; });
    c.caller_asleep.store(false, std::memory_order_relaxed);
  }
  c.job = nullptr;
  std::exception_ptr theirs = std::exchange(c.error, nullptr);
  lock.unlock();
  if (mine) std::rethrow_exception(mine);
  if (theirs) std::rethrow_exception(theirs);
}

}  // namespace qeff::runtime
