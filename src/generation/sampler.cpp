// Next-token selection (sampler.hpp): option validation, the xoshiro256**
// stream, and the per-row Sampler (penalties, temperature, top-k, top-p,
// min-p, inverse-CDF draw). The candidate set is narrowed before anything is
// sorted: top-k keeps a heap of k scores; top-p buckets the candidates by
// score and sorts only the bucket(s) where the top_p boundary falls (the
// buckets above it are kept whole, those below removed whole).
#include "generation/sampler.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <type_traits>

#include "common/error.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace qeff::generation {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr float kPosInf = std::numeric_limits<float>::infinity();
// Up to this k, top-k keeps a heap of k scores; above it, nth_element on a copy.
constexpr int64_t kHeapTopK = 1024;
constexpr double kBucketsPerNat = 16;  // top-p: 1/16-nat buckets over 64 nats

std::string number(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

void check(bool ok, const char *key, const std::string &value, const char *rule) {
  if (!ok)
    fail(QEFF_E_INVALID_ARGUMENT,
         std::string("option \"") + key + "\" = " + value + " is out of range (" + rule + ")");
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t splitmix64(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

void validate(const SamplingParams &p) {
  if (p.do_sample)
    check(p.temperature > 0 && std::isfinite(p.temperature), "generate.temperature", number(p.temperature),
          "must be > 0 and finite when sampling");
  else
    check(p.temperature >= 0 && std::isfinite(p.temperature), "generate.temperature", number(p.temperature),
          "must be >= 0 and finite");
  check(p.top_k >= 0, "generate.top_k", std::to_string(p.top_k), "must be >= 0; 0 turns it off");
  check(p.top_p > 0 && p.top_p <= 1, "generate.top_p", number(p.top_p), "must be in (0, 1]; 1 turns it off");
  check(p.min_p >= 0 && p.min_p <= 1, "generate.min_p", number(p.min_p), "must be in [0, 1]; 0 turns it off");
  check(p.repetition_penalty > 0 && std::isfinite(p.repetition_penalty), "generate.repetition_penalty",
        number(p.repetition_penalty), "must be > 0 and finite; 1 turns it off");
  check(p.presence_penalty >= -2 && p.presence_penalty <= 2, "generate.presence_penalty",
        number(p.presence_penalty), "must be in [-2, 2]");
  check(p.frequency_penalty >= -2 && p.frequency_penalty <= 2, "generate.frequency_penalty",
        number(p.frequency_penalty), "must be in [-2, 2]");
}

// ---- Rng ---------------------------------------------------------------------

Rng::Rng(uint64_t seed, uint64_t stream) {
  uint64_t sm = seed;
  for (uint64_t &w : s_) w = splitmix64(sm);
  for (uint64_t i = 0; i < stream; ++i) jump();
}

uint64_t Rng::next_u64() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::next_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

void Rng::jump() {
  static constexpr uint64_t kJump[] = {0x180ec6d33cfd0abaULL, 0xd5a61266f0c9392cULL, 0xa9582618e03fc9aaULL,
                                       0x39abdc4529b1661cULL};
  uint64_t t[4] = {0, 0, 0, 0};
  for (uint64_t word : kJump)
    for (int b = 0; b < 64; ++b) {
      if (word & (uint64_t{1} << b))
        for (int i = 0; i < 4; ++i) t[i] ^= s_[i];
      next_u64();
    }
  for (int i = 0; i < 4; ++i) s_[i] = t[i];
}

// ---- Sampler -----------------------------------------------------------------

Sampler::Sampler(const SamplingParams &params, uint64_t row) : params_(params), row_(row), rng_(params.seed, row) {
  validate(params_);
}

void Sampler::apply_penalties(float *x, int64_t vocab, std::span<const int32_t> prompt,
                              std::span<const int32_t> generated) {
  const bool repetition = params_.repetition_penalty != 1.0;
  const bool additive = params_.presence_penalty != 0.0 || params_.frequency_penalty != 0.0;
  if (!repetition && !additive) return;
  auto check_ids = [&](std::span<const int32_t> ids, const char *what) {
    for (size_t i = 0; i < ids.size(); ++i)
      if (ids[i] < 0 || ids[i] >= vocab)
        fail(QEFF_E_INVALID_ARGUMENT, "sampling row " + std::to_string(row_) + ": " + what + " id " +
                                          std::to_string(ids[i]) + " at position " + std::to_string(i) +
                                          " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
  };
  check_ids(prompt, "prompt");
  check_ids(generated, "generated");
  const auto n = static_cast<size_t>(vocab);
  if (repetition) {
    // HF gathers the scores of the ids and scatters the penalised values back:
    // an id that occurs several times is penalised once.
    if (mark_.size() < n) {
      mark_.assign(n, 0);
      epoch_ = 0;
    }
    if (++epoch_ == 0) {
      std::fill(mark_.begin(), mark_.end(), 0);
      epoch_ = 1;
    }
    const float pen = static_cast<float>(params_.repetition_penalty);
    auto apply = [&](int32_t id) {
      if (mark_[static_cast<size_t>(id)] == epoch_) return;
      mark_[static_cast<size_t>(id)] = epoch_;
      const float v = x[id];
      x[id] = v < 0 ? v * pen : v / pen;
    };
    for (int32_t id : prompt) apply(id);
    for (int32_t id : generated) apply(id);
  }
  if (additive) {
    if (count_.size() < n) count_.assign(n, 0);
    for (int32_t id : generated) ++count_[static_cast<size_t>(id)];
    const float freq = static_cast<float>(params_.frequency_penalty);
    const float pres = static_cast<float>(params_.presence_penalty);
    for (int32_t id : generated) {
      int32_t &c = count_[static_cast<size_t>(id)];
      if (c == 0) continue;  // already done
      x[id] -= freq * static_cast<float>(c);
      x[id] -= pres;
      c = 0;
    }
  }
}

float Sampler::kth_largest(const float *x, int64_t vocab, int64_t k) {
  if (k <= kHeapTopK) {
    heap_.assign(x, x + k);
    std::make_heap(heap_.begin(), heap_.end(), std::greater<float>());  // min-heap: front is the smallest
    for (int64_t i = k; i < vocab; ++i)
      if (x[i] > heap_.front()) {
        std::pop_heap(heap_.begin(), heap_.end(), std::greater<float>());
        heap_.back() = x[i];
        std::push_heap(heap_.begin(), heap_.end(), std::greater<float>());
      }
    return heap_.front();
  }
  heap_.assign(x, x + vocab);
  std::nth_element(heap_.begin(), heap_.begin() + (k - 1), heap_.end(), std::greater<float>());
  return heap_[static_cast<size_t>(k - 1)];
}

template <class Keep>
void Sampler::compact(Keep keep) {
  size_t out = 0;
  for (size_t j = 0; j < n_; ++j)
    if (keep(j)) {
      ids_[out] = ids_[j];
      scores_[out] = scores_[j];
      weights_[out] = weights_[j];
      ++out;
    }
  n_ = out;
}

void Sampler::top_p(double total) {
  // HF removes a token when the ascending cumulative probability up to it is
  // <= 1 - top_p, i.e. when the mass strictly above it is >= top_p: a token is
  // kept while the mass above it (by score, descending; ties: lower id first)
  // is < limit, and the best always.
  //
  // next() bucketed the candidates by best - score (kBucketsPerNat per nat);
  // a token's mass above is at most the mass of its bucket and the ones
  // before it, at least that of the buckets before it. So buckets whose
  // cumulative mass is < limit are kept whole, buckets after the first whose
  // cumulative mass reaches limit are removed whole, and only the buckets in
  // between [lo, last] (usually one or two) are sorted. The 1e-9 margins make
  // rounding only widen that range.
  const double limit = params_.top_p * total;
  const double sure = limit * (1 - 1e-9), need = limit * (1 + 1e-9);
  size_t lo = kTopPBuckets, last = kTopPBuckets - 1;
  double cum = 0, above = 0;
  for (size_t b = 0; b < kTopPBuckets; ++b) {
    if (lo == kTopPBuckets && !(cum + mass_[b] < sure)) {
      lo = b;
      above = cum;  // the mass of the buckets kept whole
    }
    if ((cum += mass_[b]) >= need) {
      last = b;
      break;
    }
  }
  if (lo > last) lo = last, above = cum - mass_[last];
  size_t kept = 0;  // tokens kept so far
  order_.clear();
  for (size_t j = 0; j < n_; ++j) {
    if (bucket_[j] < lo) ++kept;
    else if (bucket_[j] <= last) order_.push_back(static_cast<int32_t>(j));
  }
  std::sort(order_.begin(), order_.end(), [&](int32_t a, int32_t b) {
    const float sa = scores_[static_cast<size_t>(a)], sb = scores_[static_cast<size_t>(b)];
    return sa > sb || (sa == sb && a < b);
  });
  size_t k = 0;
  for (; k < order_.size(); ++k, ++kept) {
    if (kept > 0 && !(above < limit)) break;
    above += weights_[static_cast<size_t>(order_[k])];
  }
  for (size_t i = k; i < order_.size(); ++i) bucket_[static_cast<size_t>(order_[i])] = kTopPBuckets;  // removed
  compact([&](size_t j) { return bucket_[j] <= last; });
}

void Sampler::min_p() {
  // prob < min_p * max_prob  <=>  weight < min_p (the best token has weight 1).
  const double m = params_.min_p;
  compact([&](size_t j) { return weights_[j] >= m; });
}

namespace {

// The index of the first maximum of x[0, n) with NaN read as -inf (and
// written back as -inf), or -1 when every value is -inf or NaN; *best gets
// the maximum. Chunks of kChunk values: the chunk's maximum without branches
// (`v > m ? v : m` keeps m for a NaN v; with SSE2, the x86-64 baseline,
// maxps over 4 x 4 lanes), the NaN fix-up only in chunks holding one, then
// the first index of the maximum in the first chunk that reached it. A
// decode step calls it on the whole vocabulary (151,936 logits for Qwen2):
// 7.9 us for 32,000 logits, 41.6 with the one-branchy-pass loop before.
int64_t first_max(float *x, int64_t n, float *best) {
  constexpr int64_t kChunk = 256;
  float top = kNegInf;
  int64_t at = -1;  // first index of the chunk holding top
  for (int64_t c = 0; c < n; c += kChunk) {
    const int64_t len = std::min(kChunk, n - c);
    const float *xc = x + c;
    float m = kNegInf;
    bool nan = false;
    int64_t j = 0;
#if defined(__SSE2__)
    // maxps(v, m) is v > m ? v : m lane by lane: a NaN v keeps m.
    __m128 m4[4] = {_mm_set1_ps(kNegInf), _mm_set1_ps(kNegInf), _mm_set1_ps(kNegInf), _mm_set1_ps(kNegInf)};
    __m128 unord = _mm_setzero_ps();
    for (; j + 16 <= len; j += 16)
      for (int u = 0; u < 4; ++u) {
        const __m128 v = _mm_loadu_ps(xc + j + 4 * u);
        unord = _mm_or_ps(unord, _mm_cmpunord_ps(v, v));
        m4[u] = _mm_max_ps(v, m4[u]);
      }
    alignas(16) float lanes[16];
    for (int u = 0; u < 4; ++u) _mm_store_ps(lanes + 4 * u, m4[u]);
    for (const float v : lanes) m = v > m ? v : m;
    nan = _mm_movemask_ps(unord) != 0;
#endif
    for (; j < len; ++j) {
      const float v = xc[j];
      nan |= v != v;
      m = v > m ? v : m;
    }
    if (nan)
      for (int64_t i = c; i < c + len; ++i)
        if (std::isnan(x[i])) x[i] = kNegInf;
    if (m > top) top = m, at = c;
  }
  *best = top;
  if (at < 0) return -1;
  while (!(x[at] == top)) ++at;  // within the chunk: top is one of its values
  return at;
}

}  // namespace

int32_t Sampler::next(float *x, int64_t vocab, std::span<const int32_t> prompt, std::span<const int32_t> generated) {
  if (x == nullptr || vocab < 1 || vocab > std::numeric_limits<int32_t>::max())
    fail(QEFF_E_INVALID_ARGUMENT, "sampling row " + std::to_string(row_) + ": vocab = " + std::to_string(vocab) +
                                      " is out of range [1, 2147483647]" + (x == nullptr ? " or logits is null" : ""));
  apply_penalties(x, vocab, prompt, generated);

  // One pass: NaN -> -inf, temperature, the argmax (first maximum).
  const bool sample = params_.do_sample;
  float best = kNegInf;
  int64_t arg = -1;
  const double t = params_.temperature;
  const float tf = static_cast<float>(t);
  if (sample && t != 1.0 && std::isfinite(tf) && tf >= std::numeric_limits<float>::min()) {
    for (int64_t i = 0; i < vocab; ++i) {  // torch: float / float
      const float v = std::isnan(x[i]) ? kNegInf : x[i] / tf;
      x[i] = v;
      if (v > best) best = v, arg = i;
    }
  } else if (sample && t != 1.0) {  // a temperature beyond float's range
    for (int64_t i = 0; i < vocab; ++i) {
      const float v = std::isnan(x[i]) ? kNegInf : static_cast<float>(static_cast<double>(x[i]) / t);
      x[i] = v;
      if (v > best) best = v, arg = i;
    }
  } else {
    arg = first_max(x, vocab, &best);
  }
  if (arg < 0)
    fail(QEFF_E_NUMERIC, "sampling row " + std::to_string(row_) + ": all " + std::to_string(vocab) +
                             " logits are -inf or NaN");
  if (!sample) return static_cast<int32_t>(arg);

  // Candidates in ascending id order with weights exp(score - best) (float
  // exp, as torch's float softmax; summed in double). +inf scores take all the
  // weight, equally: then they are the only candidates.
  const auto n = static_cast<size_t>(vocab);
  if (ids_.size() < n) {
    ids_.resize(n);
    scores_.resize(n);
    weights_.resize(n);
    order_.reserve(n);
  }
  max_inf_ = best == kPosInf;
  float floor = kNegInf;  // scores below it are not candidates
  if (max_inf_) floor = kPosInf;
  else if (params_.top_k > 0 && params_.top_k < vocab) floor = kth_largest(x, vocab, params_.top_k);
  if (!max_inf_ && params_.min_p > 0 && params_.top_p >= 1.0) {
    // min-p alone removes every weight < min_p: skip their exp (1e-4 nat of
    // margin, rounded down: the exact test comes in min_p()).
    float cut = static_cast<float>(static_cast<double>(best) + std::log(params_.min_p) - 1e-4);
    if (static_cast<double>(cut) > static_cast<double>(best) + std::log(params_.min_p) - 1e-4)
      cut = std::nextafter(cut, kNegInf);
    floor = std::max(floor, cut);
  }
  // One pass: candidates, their total weight (in id order) and, for top-p,
  // their buckets and the mass of each bucket.
  const bool nucleus = params_.top_p < 1.0;
  if (nucleus) {
    if (bucket_.size() < n) bucket_.resize(n);
    mass_.fill(0.0);
  }
  double total = 0;
  auto collect = [&](auto nucleus_tag) {
    size_t c = 0;
    for (int64_t i = 0; i < vocab; ++i) {
      const float v = x[i];
      if (!(v >= floor) || v == kNegInf) continue;
      // A weight that underflows to 0 can never be drawn nor change a sum: skipped.
      const float w = max_inf_ ? 1.0f : std::exp(v - best);
      if (w == 0) continue;
      ids_[c] = static_cast<int32_t>(i);
      scores_[c] = v;
      weights_[c] = w;
      total += w;
      if constexpr (decltype(nucleus_tag)::value) {
        // By best - score; only +inf tokens are candidates when the best is +inf.
        const double d = max_inf_ ? 0.0 : (static_cast<double>(best) - static_cast<double>(v)) * kBucketsPerNat;
        const auto b = static_cast<uint16_t>(d < static_cast<double>(kTopPBuckets - 1) ? d : kTopPBuckets - 1);
        bucket_[c] = b;
        mass_[b] += w;
      }
      ++c;
    }
    n_ = c;
  };
  if (nucleus) collect(std::true_type{});
  else collect(std::false_type{});
  const size_t collected = n_;
  if (nucleus) top_p(total);
  if (params_.min_p > 0.0) min_p();
  if (n_ != collected) {
    total = 0;
    for (size_t j = 0; j < n_; ++j) total += weights_[j];
  }
  const double target = rng_.next_double() * total;
  double acc = 0;
  for (size_t j = 0; j < n_; ++j) {
    acc += weights_[j];
    if (acc > target) return ids_[j];
  }
  for (size_t j = n_; j-- > 0;)  // rounding: the last token with weight
    if (weights_[j] > 0) return ids_[j];
  return ids_[0];  // unreachable: the best token has weight 1
}

}  // namespace qeff::generation
