// Stop-string matching over streamed text (stop_strings.hpp). Each feed scans
// only the held-back text plus the new piece: the held part is shorter than
// the longest stop string, so a feed costs O((held + piece) * stops * longest).
#include "generation/stop_strings.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "common/utf8.hpp"

namespace qeff::generation {

StopStrings::StopStrings(const std::vector<std::string> &stops) : stops_(stops) {
  for (size_t i = 0; i < stops_.size(); ++i) {
    if (stops_[i].empty())
      fail(QEFF_E_INVALID_ARGUMENT, "option \"generate.stop\": stop string " + std::to_string(i) +
                                        " is empty (each must be at least one character)");
    if (!utf8_valid(stops_[i]))
      fail(QEFF_E_INVALID_ARGUMENT, "option \"generate.stop\": stop string " + std::to_string(i) + " = " +
                                        quote(stops_[i]) + " is not valid UTF-8 (at byte " +
                                        std::to_string(utf8_first_invalid(stops_[i])) + ")");
  }
}

StopStrings::Fed StopStrings::feed(std::string_view piece) {
  if (stopped_ || finished_)
    fail(QEFF_E_STATE, std::string("stop-string matcher fed after ") + (stopped_ ? "its stop" : "finish()"));
  if (!utf8_valid(piece))
    fail(QEFF_E_INVALID_ARGUMENT, "stop-string matcher: text piece " + quote(piece, 64) +
                                      " is not valid UTF-8 (at byte " + std::to_string(utf8_first_invalid(piece)) +
                                      ")");
  Fed out;
  if (stops_.empty()) {
    out.text.assign(piece);
    return out;
  }
  pending_.append(piece);
  const std::string_view text(pending_);
  const size_t size = text.size();
  // The earliest start of a complete occurrence...
  size_t found = std::string_view::npos;
  for (size_t s = 0; s < stops_.size(); ++s) {
    const size_t at = text.find(stops_[s]);
    if (at < found) found = at, out.stop_index = static_cast<int32_t>(s);
  }
  // ...and of a suffix that is a proper prefix of a stop string (could still complete).
  size_t partial = size;
  for (const std::string &stop : stops_) {
    const size_t from = size >= stop.size() ? size - stop.size() + 1 : 0;
    for (size_t i = from; i < partial; ++i)
      if (std::string_view(stop).substr(0, size - i) == text.substr(i)) {
        partial = i;
        break;
      }
  }
  if (found != std::string_view::npos && found <= partial) {
    // Certain: nothing that starts earlier can complete any more.
    stopped_ = true;
    stop_index_ = out.stop_index;
    out.stopped = true;
    out.text.assign(text.substr(0, found));
    pending_.clear();
    return out;
  }
  out.stop_index = -1;
  out.text.assign(text.substr(0, partial));
  pending_.erase(0, partial);
  return out;
}

std::string StopStrings::finish() {
  const bool first = !finished_ && !stopped_;
  finished_ = true;
  if (!first) return {};
  // No more text: a held-back prefix can no longer complete, so a stop string
  // already complete in the held text (behind an earlier prefix) is the cut.
  size_t found = std::string::npos;
  for (size_t s = 0; s < stops_.size(); ++s) {
    const size_t at = pending_.find(stops_[s]);
    if (at < found) found = at, stop_index_ = static_cast<int32_t>(s);
  }
  if (found != std::string::npos) {
    stopped_ = true;
    pending_.resize(found);
  }
  std::string rest;
  rest.swap(pending_);
  return rest;
}

}  // namespace qeff::generation
