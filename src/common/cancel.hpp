// Cancellation of long calls (load, compile, export, package save/load,
// generate) from another thread: docs/cancellation.md.
//
// A caller's qeff_cancel handle owns a CancelFlag; options carry a shared
// reference to it (Options::cancel). An ABI entry point binds the flag to its
// thread for the duration of the call with a CancelScope; the code below it
// calls cancellation_point() between units of work (a file, a tensor, a 32 MiB
// slice of a digest, a node, a weight to pack, a decode step). When the flag is
// set, the point throws Error(QEFF_E_CANCELLED) naming the operation and where
// it stopped; the ordinary failure paths then remove temporary files, so a
// cancelled call leaves what a failed call leaves: nothing.
//
// The scope is thread-local on purpose: cancellation is a cross-cutting concern
// (like logging) that every layer may poll without threading a parameter
// through each signature. Worker threads of the runtime pool have no scope;
// their caller polls between parallel sections.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string_view>

namespace qeff {

struct CancelFlag {
  std::atomic<bool> requested{false};
};

class CancelScope {
 public:
  // Binds `flag` (may be null: never cancelled) to this thread for `operation`
  // (e.g. "qeff_compile"); nests (the innermost scope with a flag wins, an
  // inner scope without one keeps the outer flag).
  CancelScope(std::shared_ptr<const CancelFlag> flag, const char *operation);
  ~CancelScope();
  CancelScope(const CancelScope &) = delete;
  CancelScope &operator=(const CancelScope &) = delete;

 private:
  std::shared_ptr<const CancelFlag> flag_;
  const char *operation_;
  const CancelScope *outer_;
  friend void cancellation_point(std::string_view stage);
  friend bool cancellation_requested();
  friend bool poll_cancellation(std::string_view stage);
};

// Throws Error(QEFF_E_CANCELLED, "<operation> cancelled (qeff_cancel_request)
// while <stage>") when the calling thread's scope has a flag that is set. One
// relaxed atomic load otherwise.
void cancellation_point(std::string_view stage);

// Whether the calling thread's scope has a flag that is set (no throw).
bool cancellation_requested();

// A cancellation point for code that stops by itself instead of throwing (a
// generation finishes its rows as cancelled): runs the test observer, then
// returns cancellation_requested().
bool poll_cancellation(std::string_view stage);

// Tests only: a function run by every cancellation_point on this thread before
// it reads the flag (e.g. to set the flag at the Nth point). Pass {} to remove.
void set_cancellation_observer_for_testing(std::function<void(std::string_view stage)> observer);

}  // namespace qeff
