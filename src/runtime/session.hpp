// Per-request state over a shared Executable (docs/runtime.md): one arena per
// specialization (allocated on first use, reused by later runs), the retained
// state buffers (KV caches: zero at first, updated in place by each run and
// kept until reset), and a thread pool.
//
// A session runs one call at a time: a second concurrent run (or reset/state
// access) on the same session fails with QEFF_E_BUSY instead of waiting or
// corrupting anything. Different sessions over one Executable run
// concurrently.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/aligned.hpp"
#include "runtime/executable.hpp"
#include "runtime/thread_pool.hpp"

namespace qeff::runtime {

struct NamedTensor {
  std::string name;
  ops::TensorView tensor;
};

class Session {
 public:
  // threads <= 0: one per hardware thread.
  Session(std::shared_ptr<const Executable> exe, int threads);

  // Runs the specialization whose input shapes equal the given ones. Every
  // program input must be given once, by name, with its dtype. A retained
  // state input (e.g. "past_key.0") may be given too: it replaces the kept
  // state before the run (its type must be the specialization's). Returns the
  // program outputs, in signature order, as views valid until the next call on
  // this session. Errors: QEFF_E_INVALID_ARGUMENT (unknown, missing or
  // repeated name, null data), QEFF_E_MISMATCH (dtype, or shapes no
  // specialization has: the message lists them), QEFF_E_STATE (retained state
  // of another shape, or left undefined by a failed run: reset first),
  // QEFF_E_BUSY, and the kernels' errors.
  std::vector<NamedTensor> run(const std::vector<NamedTensor> &inputs);

  // The plan index the last successful run used (-1 before any).
  int last_plan() const { return last_plan_; }
  int num_threads() const { return pool_.num_threads(); }

  // Zeroes every retained state (drops the buffers; the next run allocates them
  // for its specialization).
  void reset_state();
  // A copy of retained state `name` (the input name, e.g. "past_key.0");
  // QEFF_E_NOT_FOUND when the program has no such state, QEFF_E_STATE when no
  // run has created it yet.
  std::pair<graph::TensorType, std::vector<uint8_t>> read_state(const std::string &name);

 private:
  struct State {
    graph::TensorType type;
    AlignedPtr data;
    std::string spec;  // the specialization that shaped it
  };
  size_t select_plan(const std::vector<NamedTensor> &inputs, std::vector<const NamedTensor *> &by_index) const;
  void prepare_state(const compiler::Plan &plan, const std::vector<NamedTensor> &inputs);
  std::optional<size_t> find_state(const std::string &name) const;  // index in Program::retained

  std::shared_ptr<const Executable> exe_;
  ThreadPool pool_;
  std::mutex busy_;
  std::vector<AlignedPtr> arenas_;
  std::vector<State> states_;
  bool state_poisoned_ = false;
  int last_plan_ = -1;
};

}  // namespace qeff::runtime
