// Progress on a TTY stderr (progress.hpp).
#include "progress.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "common.hpp"

namespace qcli {

bool progress_enabled() {
  static const bool enabled = [] {
    const char *off = std::getenv("QEFF_NO_PROGRESS");
    return isatty(STDERR_FILENO) == 1 && (off == nullptr || *off == '\0');
  }();
  return enabled;
}

std::string format_duration(double s) {
  char buf[64];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.2f s", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%d min %02d s", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  else std::snprintf(buf, sizeof buf, "%d h %02d min", static_cast<int>(s) / 3600, static_cast<int>(s) % 3600 / 60);
  return buf;
}

namespace {
constexpr const char *kFrames[] = {"|", "/", "-", "\\"};
}

Spinner::Spinner(std::string label) : label_(std::move(label)), start_(now_seconds()) {
  active_ = progress_enabled();
  if (!active_) return;
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mutex_);
    for (unsigned frame = 0; !stopping_; ++frame) {
      std::fprintf(stderr, "\r\033[K%s %s  %s", kFrames[frame % 4], label_.c_str(),
                   format_duration(now_seconds() - start_).c_str());
      std::fflush(stderr);
      wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_; });
    }
  });
}

Spinner::~Spinner() { stop(false, ""); }

void Spinner::done(const std::string &note) { stop(true, note); }

void Spinner::stop(bool summary, const std::string &note) {
  if (!active_) return;
  active_ = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  std::fprintf(stderr, "\r\033[K");
  if (summary)
    std::fprintf(stderr, "%s: done in %s%s%s\n", label_.c_str(), format_duration(now_seconds() - start_).c_str(),
                 note.empty() ? "" : " ", note.c_str());
  std::fflush(stderr);
}

ProgressBar::ProgressBar(std::string label, size_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), start_(now_seconds()) {
  active_ = progress_enabled() && total > 0;
  if (active_) draw(0, false);
}

ProgressBar::~ProgressBar() {
  if (active_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }
}

void ProgressBar::update(size_t done) {
  if (active_) draw(done, false);
}

void ProgressBar::finish() {
  if (!active_) return;
  draw(total_, true);
  active_ = false;
}

void ProgressBar::draw(size_t done, bool final) {
  constexpr int kWidth = 30;
  const double elapsed = now_seconds() - start_;
  const double frac = total_ ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  const int filled = static_cast<int>(frac * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  std::string eta = "?";
  if (done > 0) eta = format_duration(elapsed / static_cast<double>(done) * static_cast<double>(total_ - done));
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  if (final)
    std::fprintf(stderr, "\r\033[K%s: %zu %s in %s (%.1f %s/s)\n", label_.c_str(), done, unit_.c_str(),
                 format_duration(elapsed).c_str(), rate, unit_.c_str());
  else
    std::fprintf(stderr, "\r\033[K%s [%s] %zu/%zu %s  %s elapsed  ETA %s", label_.c_str(), bar.c_str(), done, total_,
                 unit_.c_str(), format_duration(elapsed).c_str(), eta.c_str());
  std::fflush(stderr);
}

}  // namespace qcli
