// Progress on stderr for the long steps (load, export, compile, batch
// embedding): drawn only when stderr is a terminal, so pipes and files get
// nothing but results and errors (docs/cli.md, "Progress").
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace qcli {

// Whether progress is drawn: stderr is a TTY and QEFF_NO_PROGRESS is unset.
bool progress_enabled();

// A spinner with the elapsed time, redrawn by a background thread until
// done() (or destruction, which clears the line without a summary).
class Spinner {
 public:
  explicit Spinner(std::string label);
  ~Spinner();
  Spinner(const Spinner &) = delete;
  Spinner &operator=(const Spinner &) = delete;
  // Stop and leave a summary line "<label> done in 1.23 s <note>".
  void done(const std::string &note = "");

 private:
  void stop(bool summary, const std::string &note);
  std::string label_;
  double start_ = 0;
  bool active_ = false;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// A bar over a known total with elapsed time, rate and ETA.
class ProgressBar {
 public:
  ProgressBar(std::string label, size_t total, std::string unit);
  ~ProgressBar();
  ProgressBar(const ProgressBar &) = delete;
  ProgressBar &operator=(const ProgressBar &) = delete;
  void update(size_t done);
  void finish();

 private:
  void draw(size_t done, bool final);
  std::string label_, unit_;
  size_t total_;
  double start_ = 0;
  bool active_ = false;
};

// "1.2 s", "3 min 04 s", "1 h 02 min".
std::string format_duration(double seconds);

}  // namespace qcli
