// StreamTuner (stream_tuner.hpp): per key two timed estimates, the faster
// one answered, every kExploreEvery-th call the other.
#include "kernels/stream_tuner.hpp"

#include <algorithm>

namespace qeff::kernels {
namespace {

constexpr std::memory_order kRelaxed = std::memory_order_relaxed;

// A sample's weight in an estimate: about the last 4 samples count.
constexpr float kWeight = 0.25f;

int first_slot(uint64_t key, int slots) {
  key ^= key >> 31;
  key *= 0x9e3779b97f4a7c15ull;
  return static_cast<int>((key >> 40) % static_cast<uint64_t>(slots));
}

}  // namespace

StreamTuner::Slot *StreamTuner::find(uint64_t key, bool claim) {
  const int start = first_slot(key, kSlots);
  for (int i = 0; i < kSlots; ++i) {
    Slot &s = slots_[(start + i) % kSlots];
    uint64_t held = s.key.load(kRelaxed);
    if (held == 0 && claim && s.key.compare_exchange_strong(held, key, kRelaxed)) return &s;
    if (held == key) return &s;  // also when another thread claimed it for key just now
    if (held == 0) return nullptr;  // slots are claimed in probe order and never freed
  }
  return nullptr;
}

const StreamTuner::Slot *StreamTuner::find(uint64_t key) const {
  return const_cast<StreamTuner *>(this)->find(key, false);
}

int StreamTuner::faster(const Slot &s) {
  const float t0 = s.ns[0].load(kRelaxed), t1 = s.ns[1].load(kRelaxed);
  if (t0 <= 0.0f || t1 <= 0.0f) return -1;
  return t1 < t0 ? 1 : 0;
}

int StreamTuner::choose(uint64_t key) {
  Slot *s = find(key, true);
  if (!s) return 0;
  const uint32_t call = s->calls.fetch_add(1, kRelaxed);
  const int best = faster(*s);
  if (best < 0) return s->ns[0].load(kRelaxed) <= 0.0f ? 0 : 1;  // time each option once first
  return call % kExploreEvery == kExploreEvery - 1 ? 1 - best : best;
}

void StreamTuner::record(uint64_t key, int option, double ns) {
  Slot *s = find(key, false);
  if (!s || (option != 0 && option != 1) || !(ns > 0.0)) return;
  std::atomic<float> &est = s->ns[option];
  const float old = est.load(kRelaxed), sample = static_cast<float>(ns);
  est.store(old <= 0.0f ? sample : old + kWeight * (std::min(sample, 2.0f * old) - old), kRelaxed);
}

int StreamTuner::best(uint64_t key) const {
  const Slot *s = find(key);
  return s ? faster(*s) : -1;
}

}  // namespace qeff::kernels
