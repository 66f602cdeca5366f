// A run-time choice between two ways of streaming a weight (the 4-bit
// strips' decode GEMVs with or without a second, far prefetch,
// gemm_quant.cpp), made by timing the calls themselves: which one is faster
// depends on the memory system's latency at the moment, which on a shared VM
// changes within seconds (docs/kernels-quant.md, "Far prefetch chosen at run
// time").
//
// Calls are told apart by a key (the caller's shape: only calls of one key
// are compared). Per key the tuner keeps an estimate of each option's time
// (an exponentially weighted mean, a sample capped at twice the estimate so
// that one interrupted call does not flip the choice) and answers the faster
// one, except that every kExploreEvery-th call of the key takes the other
// (to notice when the order changes) and the first call of each option is
// made before any is compared. Results never depend on the option (the
// options differ only in prefetching), so the choice affects time alone.
//
// Thread-safe without locks: the state is relaxed atomics, a lost update
// only costs a sample. Keys beyond kSlots distinct ones get option 0.
#pragma once

#include <atomic>
#include <cstdint>

namespace qeff::kernels {

class StreamTuner {
 public:
  static constexpr int kSlots = 32;
  static constexpr uint32_t kExploreEvery = 8;

  // The option (0 or 1) for the next call of `key` (any value but 0).
  int choose(uint64_t key);
  // That call of `key` took `ns` with `option`.
  void record(uint64_t key, int option, double ns);
  // The option that choose() answers for `key` outside its exploring calls;
  // -1 while both are not yet timed (or the key has no slot).
  int best(uint64_t key) const;

 private:
  struct Slot {
    std::atomic<uint64_t> key{0};
    std::atomic<uint32_t> calls{0};
    std::atomic<float> ns[2] = {0.0f, 0.0f};
  };
  // key's slot, claimed when `claim` and the key has none yet (nullptr when
  // every slot holds another key).
  Slot *find(uint64_t key, bool claim);
  const Slot *find(uint64_t key) const;
  static int faster(const Slot &s);

  Slot slots_[kSlots];
};

}  // namespace qeff::kernels
