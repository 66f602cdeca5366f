// Unit tests: StreamTuner (src/kernels/stream_tuner.hpp), the run-time
// choice between two ways of streaming a decode GEMV's weights: each option
// timed once first, then the faster one with every kExploreEvery-th call the
// other, keys apart, outliers capped, a full table answering option 0.
#include <gtest/gtest.h>

#include <cmath>
#include <thread>
#include <vector>

#include "kernels/stream_tuner.hpp"

namespace {

using qeff::kernels::StreamTuner;

// Calls choose() `calls` times for `key`, recording ns[option] for each, and
// returns how often each option was chosen.
std::vector<int> drive(StreamTuner &t, uint64_t key, int calls, double ns0, double ns1) {
  std::vector<int> chosen(2, 0);
  for (int i = 0; i < calls; ++i) {
    const int o = t.choose(key);
    ++chosen[o];
    t.record(key, o, o == 0 ? ns0 : ns1);
  }
  return chosen;
}

TEST(StreamTuner, TimesEachOptionOnceBeforeComparing) {
  StreamTuner t;
  EXPECT_EQ(t.best(7), -1);
  EXPECT_EQ(t.choose(7), 0);
  t.record(7, 0, 100.0);
  EXPECT_EQ(t.best(7), -1);
  EXPECT_EQ(t.choose(7), 1);
  t.record(7, 1, 50.0);
  EXPECT_EQ(t.best(7), 1);
}

TEST(StreamTuner, TakesTheFasterAndExploresEveryEighthCall) {
  StreamTuner t;
  drive(t, 11, 2, 100.0, 50.0);  // calls 0 and 1: one of each
  // Calls 2 .. 65: the ones numbered 7, 15, ..., 63 explore option 0.
  const std::vector<int> chosen = drive(t, 11, 64, 100.0, 50.0);
  EXPECT_EQ(chosen[0], 64 / static_cast<int>(StreamTuner::kExploreEvery));
  EXPECT_EQ(chosen[1], 64 - chosen[0]);
  EXPECT_EQ(t.best(11), 1);
}

TEST(StreamTuner, FollowsWhenTheOrderChanges) {
  StreamTuner t;
  drive(t, 5, 40, 100.0, 50.0);
  ASSERT_EQ(t.best(5), 1);
  // Now option 0 is the faster: the next exploration shows it and the
  // estimates cross within two exploration periods.
  drive(t, 5, 2 * StreamTuner::kExploreEvery, 20.0, 100.0);
  EXPECT_EQ(t.best(5), 0);
  const std::vector<int> chosen = drive(t, 5, 64, 20.0, 100.0);
  EXPECT_EQ(chosen[1], 64 / static_cast<int>(StreamTuner::kExploreEvery));
}

// One slow call (an interrupt, a page fault) counts as at most twice the
// estimate: it does not flip the choice.
TEST(StreamTuner, OneOutlierDoesNotFlipTheChoice) {
  StreamTuner t;
  drive(t, 3, 2, 100.0, 50.0);
  t.record(3, 1, 1e9);
  EXPECT_EQ(t.best(3), 1);
  t.record(3, 1, 1e9);
  t.record(3, 1, 1e9);
  t.record(3, 1, 1e9);
  EXPECT_EQ(t.best(3), 0);  // a lasting change does
}

TEST(StreamTuner, KeysAreTimedApart) {
  StreamTuner t;
  drive(t, 1, 10, 100.0, 50.0);
  drive(t, 2, 10, 50.0, 100.0);
  EXPECT_EQ(t.best(1), 1);
  EXPECT_EQ(t.best(2), 0);
}

TEST(StreamTuner, IgnoresRecordsItCannotUse) {
  StreamTuner t;
  t.record(9, 0, 10.0);  // never chosen: no slot
  EXPECT_EQ(t.best(9), -1);
  drive(t, 9, 2, 100.0, 50.0);
  for (double bad : {0.0, -1.0, std::nan("")}) t.record(9, 0, bad);
  t.record(9, 2, 1.0);
  t.record(9, -1, 1.0);
  EXPECT_EQ(t.best(9), 1);
  EXPECT_EQ(drive(t, 9, 5, 100.0, 50.0)[0], 0);  // calls 2..6: no exploration yet
}

// Past kSlots distinct keys a key gets option 0 and is not timed; the keys
// that have slots keep them.
TEST(StreamTuner, AFullTableAnswersOptionZero) {
  StreamTuner t;
  for (uint64_t key = 100; key < 100 + StreamTuner::kSlots; ++key) drive(t, key, 2, 100.0, 50.0);
  const std::vector<int> chosen = drive(t, 99, 20, 100.0, 50.0);
  EXPECT_EQ(chosen[0], 20);
  EXPECT_EQ(t.best(99), -1);
  for (uint64_t key = 100; key < 100 + StreamTuner::kSlots; ++key) EXPECT_EQ(t.best(key), 1) << key;
}

// Several threads on one tuner (sessions decoding at once): every key ends
// with the faster option.
TEST(StreamTuner, ThreadsShareOneTuner) {
  StreamTuner t;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&t, i] {
      for (uint64_t key = 1; key <= 8; ++key) drive(t, key + static_cast<uint64_t>(i % 2) * 100, 500, 100.0, 50.0);
    });
  for (auto &th : threads) th.join();
  for (uint64_t key = 1; key <= 8; ++key) {
    EXPECT_EQ(t.best(key), 1) << key;
    EXPECT_EQ(t.best(key + 100), 1) << key;
  }
}

}  // namespace
