// The text-generation loop (docs/generation.md) over a causal-LM program with
// the KV cache as retained state: prompts (token ids) in groups of the
// compiled batch size, each prompt prefilled in chunks of prefill_seq_len at
// its own positions (rows of different lengths need no padding on the left:
// unused slots carry position -1), then one decode run per new token for the
// whole group; sampling, stop conditions and incremental detokenization per
// row.
//
// A Generation is a state machine: step() does one run (a prefill chunk or a
// decode step) and returns the stream events it produced, so the same object
// serves the blocking call, the callback and the pull iterator. cancel() may
// be called from any thread; the next step ends every unfinished row.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "generation/sampler.hpp"
#include "generation/stop_strings.hpp"

namespace qeff::runtime {
class Executable;
class Session;
}  // namespace qeff::runtime
namespace qeff::tokenizer {
class Tokenizer;
class StreamDecoder;
}  // namespace qeff::tokenizer

namespace qeff::generation {

// Defaults a causal-LM program carries (generation_config.json of its model).
struct GenerationDefaults {
  std::vector<int64_t> eos_token_ids;
  std::optional<int64_t> bos_token_id, pad_token_id, max_length, max_new_tokens, top_k;
  bool do_sample = false;
  std::optional<double> temperature, top_p, min_p, repetition_penalty;
};

// What a causal-LM program offers, from its signature, plans and metadata.
class LmProgram {
 public:
  // QEFF_E_UNSUPPORTED when the program is not a causal-LM program with the
  // KV-cache contract (models/model_builder.hpp).
  explicit LmProgram(std::shared_ptr<const runtime::Executable> exe);

  const runtime::Executable &executable() const { return *exe_; }
  int64_t batch() const { return batch_; }
  int64_t prefill_len() const { return prefill_len_; }
  int64_t ctx_len() const { return ctx_len_; }
  int64_t vocab() const { return vocab_; }
  int64_t pad_id() const { return pad_id_; }
  const GenerationDefaults &defaults() const { return defaults_; }

 private:
  std::shared_ptr<const runtime::Executable> exe_;
  int64_t batch_ = 0, prefill_len_ = 0, ctx_len_ = 0, vocab_ = 0, pad_id_ = 0;
  GenerationDefaults defaults_;
};

struct GenerateParams {
  std::optional<int64_t> max_new_tokens;  // unset: generation_config, else until the context is full
  SamplingParams sampling;
  std::vector<std::string> stop;          // stop strings (need a tokenizer)
  std::optional<std::vector<int64_t>> eos_token_ids;  // unset: the program's defaults
  bool ignore_eos = false;
  bool truncate = false;                  // cut prompts too long for the context (keep their end)
  bool skip_special_tokens = true;        // in the text (ids always hold every token)
};

enum class FinishReason { kNone, kEos, kLength, kStopString, kContext, kCancelled };
const char *finish_reason_name(FinishReason r);  // "eos", "length", "stop", "context", "cancelled"

struct RowOutput {
  std::vector<int32_t> prompt;  // the ids the row was run with (after truncation)
  std::vector<int32_t> tokens;  // generated ids (an EOS that ended the row included)
  std::string text;             // decoded generated text, cut before a stop string
  FinishReason finish = FinishReason::kNone;
  bool truncated = false;
};

struct GenerateStats {
  int64_t rows = 0, groups = 0, prompt_tokens = 0, generated_tokens = 0, truncated_rows = 0;
  int64_t prefill_runs = 0, decode_runs = 0;
  double tokenize_ms = 0, ttft_ms = 0, prefill_ms = 0, decode_ms = 0, total_ms = 0;
  double prefill_tokens_per_s() const;
  double decode_tokens_per_s() const;  // tokens sampled after the first of each row / decode time
  int64_t decode_tokens = 0;
};

// One piece of streamed output: the text row `row` gained (possibly empty:
// held back until it is complete UTF-8 or cannot start a stop string) with
// the token that produced it (-1 for the text released when a row finishes).
struct StreamEvent {
  size_t row = 0;
  int32_t token = -1;
  std::string text;
  bool finished = false;  // the row's last event
};

class Generation {
 public:
  // `tokenizer` may be null (token rows only; then no text and no stop
  // strings). Validates the prompts against the context (QEFF_E_CONTEXT_OVERFLOW
  // naming the row, its length and the limit, unless params.truncate) and the
  // vocabulary (QEFF_E_INVALID_ARGUMENT).
  Generation(std::shared_ptr<const LmProgram> program, runtime::Session &session,
             std::shared_ptr<const tokenizer::Tokenizer> tokenizer, std::vector<std::vector<int32_t>> prompts,
             const GenerateParams &params);
  ~Generation();
  Generation(const Generation &) = delete;
  Generation &operator=(const Generation &) = delete;

  // Runs one prefill chunk or decode step and appends its events. Returns
  // false once every row has finished (no run is made then).
  bool step(std::vector<StreamEvent> &events);
  // Thread-safe; the next step() finishes every open row as kCancelled.
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
  bool done() const { return done_; }

  const std::vector<RowOutput> &rows() const { return out_; }
  const GenerateStats &stats() const { return stats_; }
  void add_tokenize_ms(double ms) { stats_.tokenize_ms += ms; }

 private:
  struct Slot;
  void start_group();
  void prefill_chunk(std::vector<StreamEvent> &events);
  void decode_step(std::vector<StreamEvent> &events);
  float *run(const std::vector<int64_t> &ids, const std::vector<int64_t> &pos, int64_t len);
  void accept(Slot &slot, float *logits, std::vector<StreamEvent> &events);
  void finish(Slot &slot, FinishReason why, std::vector<StreamEvent> &events);
  void finish_all(FinishReason why, std::vector<StreamEvent> &events);

  std::shared_ptr<const LmProgram> program_;
  runtime::Session &session_;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer_;
  GenerateParams params_;
  std::vector<int64_t> eos_;
  std::vector<RowOutput> out_;
  std::vector<std::unique_ptr<Slot>> slots_;
  size_t next_row_ = 0;          // first row of the next group
  bool prefilling_ = false, done_ = false;
  int64_t chunk_ = 0;            // prefill chunk index within the group
  std::atomic<bool> cancelled_{false};
  GenerateStats stats_;
  double start_ = 0;             // steady-clock ms at construction
  bool first_token_ = false;
  std::vector<float> logits_;    // a copy of one run's logits [batch, vocab]
};

// Runs a generation to its end, calling `on_event` for each event (return
// false to cancel). Returns the finished generation's rows.
template <class F>
void run_to_end(Generation &g, F &&on_event) {
  std::vector<StreamEvent> events;
  while (g.step(events)) {
    for (const StreamEvent &e : events)
      if (!on_event(e)) g.cancel();
    events.clear();
  }
  for (const StreamEvent &e : events) on_event(e);
}

}  // namespace qeff::generation
