// Stop strings over one row of streamed text (docs/generation.md): a matcher
// fed the decoded pieces in order that says what is safe to emit now, holding
// back any suffix that could still become the start of a stop string, and
// reports the stop once it is certain.
//
// Contract: the concatenation of everything emitted (feed texts, then
// finish()) equals the full text cut at the earliest START position of any
// occurrence of any stop string (the stop string itself and everything after
// it are never emitted), or the whole text when none occurs. Because the cut
// is at the earliest start, a completed stop string is not reported while a
// longer one that would start earlier may still complete (stops "bc" and
// "abcd", text "abc": nothing is decided until the next piece). Stop strings
// and pieces are valid UTF-8, so every cut (an occurrence start or a held-back
// suffix start is a stop string's first byte) falls on a character boundary:
// emitted text never ends inside a UTF-8 sequence.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qeff::generation {

class StopStrings {
 public:
  // Throws QEFF_E_INVALID_ARGUMENT naming "generate.stop" and the index for
  // an empty stop string or one that is not valid UTF-8. No stop strings: every
  // piece passes through at once.
  explicit StopStrings(const std::vector<std::string> &stops = {});

  struct Fed {
    std::string text;         // safe to emit now (possibly empty)
    bool stopped = false;     // a stop string ended the text: `text` ends right before it
    int32_t stop_index = -1;  // which one (the lowest index among those found at the cut)
  };

  // Feeds the next piece (complete UTF-8, QEFF_E_INVALID_ARGUMENT otherwise).
  // QEFF_E_STATE after a stop or after finish().
  Fed feed(std::string_view piece);
  // The text ended (EOS, length, ...): returns the rest of the held-back text,
  // or, when a stop string is already complete in it (it waited for a longer
  // one that would have started earlier: stops "bc" and "abcd", text "abc"),
  // the text before that stop string, and stopped() turns true. Empty after a
  // stop; later calls return "".
  std::string finish();

  bool stopped() const { return stopped_; }
  int32_t stop_index() const { return stop_index_; }
  size_t held_bytes() const { return pending_.size(); }
  const std::vector<std::string> &stops() const { return stops_; }

 private:
  std::vector<std::string> stops_;
  std::string pending_;  // fed but not yet emitted; no stop string starts before it
  bool stopped_ = false, finished_ = false;
  int32_t stop_index_ = -1;
};

}  // namespace qeff::generation
