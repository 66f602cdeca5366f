// Next-token selection for text generation (docs/generation.md): the sampling
// options, their validation, the portable random stream of one batch row, and
// the Sampler that turns one row's logits into the next token id.
//
// Semantics follow HF transformers 4.47 generate(), in its order:
//   1. repetition_penalty over every distinct id of prompt + generated
//      (score < 0 ? score * p : score / p, in float as torch does);
//   2. presence / frequency penalties over the generated ids (OpenAI / vLLM:
//      score -= frequency_penalty * count, then -= presence_penalty if count > 0);
//   then, only when do_sample:
//   3. temperature (score / T);
//   4. top-k: keep every score >= the k-th largest (ties at the boundary kept);
//   5. top-p: sorted by score (descending, ties by lower id), keep a token while
//      the probability mass strictly above it is < top_p (HF's "remove where the
//      ascending cumulative probability <= 1 - top_p"); the best is always kept;
//   6. min-p: remove tokens whose probability is < min_p * the largest;
//   7. softmax over the kept tokens and one inverse-CDF draw: a uniform double
//      u in [0, 1) (one 64-bit output of the row's stream per sampled token),
//      the first kept token in ascending id order whose cumulative weight
//      exceeds u * total.
// Greedy (do_sample false) applies 1-2 and takes the argmax (ties: lowest id,
// as torch.argmax). NaN scores count as -inf; +inf scores share all the
// probability equally. Every score -inf or NaN: QEFF_E_NUMERIC naming the row.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace qeff::generation {

struct SamplingParams {
  bool do_sample = false;           // false: greedy (argmax; ties -> lowest id)
  double temperature = 1.0;         // > 0 (0 is accepted, and ignored, when !do_sample)
  int64_t top_k = 0;                // >= 0; 0: off; >= vocab: off
  double top_p = 1.0;               // (0, 1]; 1: off
  double min_p = 0.0;               // [0, 1]; 0: off
  double repetition_penalty = 1.0;  // > 0; 1: off (HF: prompt + generated ids)
  double presence_penalty = 0.0;    // [-2, 2]; OpenAI / vLLM: generated ids only
  double frequency_penalty = 0.0;   // [-2, 2]; OpenAI / vLLM: generated ids only
  uint64_t seed = 0;
};

// Throws QEFF_E_INVALID_ARGUMENT naming the option ("generate.temperature",
// "generate.top_k", ...), its value and the allowed range.
void validate(const SamplingParams &params);

// xoshiro256** (Blackman & Vigna), its state the first four outputs of
// splitmix64 started at `seed`, then advanced by `stream` jumps of 2^128 steps:
// streams of one seed never overlap. Fully specified, so the same (seed,
// stream) gives the same numbers on every platform and compiler. Construction
// costs about a microsecond per stream index.
class Rng {
 public:
  explicit Rng(uint64_t seed, uint64_t stream = 0);
  uint64_t next_u64();
  double next_double();  // (next_u64() >> 11) * 2^-53: uniform in [0, 1)
  void jump();           // advance 2^128 steps

 private:
  uint64_t s_[4];
};

// Chooses the tokens of one batch row. Not thread-safe; one per row.
class Sampler {
 public:
  // Validates `params` (see validate()); the row's stream is Rng(params.seed, row).
  Sampler(const SamplingParams &params, uint64_t row);

  // Returns the next token id given the row's logits [vocab] (modified in
  // place: penalties, NaN -> -inf, temperature) and the ids the penalties look
  // at. Ids must be in [0, vocab) (QEFF_E_INVALID_ARGUMENT otherwise, checked
  // only when a penalty is on); vocab in [1, INT32_MAX]. Reuses its buffers:
  // no allocation once it has seen the vocabulary size.
  int32_t next(float *logits, int64_t vocab, std::span<const int32_t> prompt, std::span<const int32_t> generated);

  const SamplingParams &params() const { return params_; }
  uint64_t row() const { return row_; }

 private:
  void apply_penalties(float *logits, int64_t vocab, std::span<const int32_t> prompt,
                       std::span<const int32_t> generated);
  float kth_largest(const float *logits, int64_t vocab, int64_t k);
  void top_p(double total);
  void min_p();
  template <class Keep>
  void compact(Keep keep);

  SamplingParams params_;
  uint64_t row_ = 0;
  Rng rng_;
  // Penalty bookkeeping, indexed by id: mark_[id] == epoch_ once penalised in
  // this call; count_[id] = occurrences in the generated ids (zero between calls).
  std::vector<uint32_t> mark_;
  std::vector<int32_t> count_;
  uint32_t epoch_ = 0;
  // Candidates [0, n_) in ascending id order: id, score, weight exp(score -
  // max). Sized to the vocabulary once; n_ counts the live ones.
  size_t n_ = 0;
  std::vector<int32_t> ids_;
  std::vector<float> scores_;
  std::vector<double> weights_;
  std::vector<int32_t> order_;  // top-p: candidate positions by descending score
  std::vector<float> heap_;     // top-k: the k largest scores seen (a min-heap) or a copy for nth_element
  static constexpr size_t kTopPBuckets = 1024;
  std::array<double, kTopPBuckets> mass_{};  // top-p: candidate mass per bucket of best - score
  std::vector<uint16_t> bucket_;             // top-p: each candidate's bucket
  bool max_inf_ = false;        // the largest score is +inf
};

}  // namespace qeff::generation
