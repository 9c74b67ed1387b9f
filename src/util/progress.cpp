#include "avtune/util/progress.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>

namespace avtune {

std::string format_duration(double s) {
  if (s < 0) s = 0;
  long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else if (t >= 60)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%lds", t);
  return buf;
}

namespace {
// A progress line is redrawn in place (\r) only on a terminal; a log file gets plain lines.
bool stderr_is_terminal() {
  static const bool tty = isatty(fileno(stderr)) != 0;
  return tty;
}
std::atomic<bool> line_open{false};  // a redrawn line without its newline yet
constexpr double kPlainIntervalS = 30;  // not on a terminal: at most one line per this many seconds
}  // namespace

void end_progress_line() {
  if (line_open.exchange(false)) {
    std::fputc('\n', stderr);
    std::fflush(stderr);
  }
}

Progress::Progress(std::string label, long total, double min_interval_s)
    : label_(std::move(label)), total_(total), min_interval_s_(min_interval_s),
      start_(std::chrono::steady_clock::now()), last_print_(start_) {}

double Progress::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(long done, const std::string& extra) {
  auto now = std::chrono::steady_clock::now();
  const bool tty = stderr_is_terminal();
  const double interval = tty ? min_interval_s_ : std::max(min_interval_s_, kPlainIntervalS);
  const double since = std::chrono::duration<double>(now - (printed_ ? last_print_ : start_)).count();
  // Off a terminal the first line waits one interval too (short loops print only their finish line),
  // and the last step is left to finish().
  if ((printed_ || !tty) && since < interval && (tty ? done < total_ : true)) return;
  last_print_ = now;
  printed_ = true;
  double el = elapsed_s();
  double eta = done > 0 ? el * static_cast<double>(total_ - done) / static_cast<double>(done) : 0.0;
  const double pct = total_ > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100.0;
  if (tty) {
    std::fprintf(stderr, "\r%s %ld/%ld (%.0f%%) elapsed %s ETA %s %s\033[K", label_.c_str(), done, total_, pct,
                 format_duration(el).c_str(), format_duration(eta).c_str(), extra.c_str());
    line_open = true;
  } else {
    std::fprintf(stderr, "%s %ld/%ld (%.0f%%) elapsed %s ETA %s %s\n", label_.c_str(), done, total_, pct,
                 format_duration(el).c_str(), format_duration(eta).c_str(), extra.c_str());
  }
  std::fflush(stderr);
}

void Progress::finish(const std::string& extra) {
  if (stderr_is_terminal()) {
    std::fprintf(stderr, "\r%s %ld/%ld done in %s %s\033[K\n", label_.c_str(), total_, total_,
                 format_duration(elapsed_s()).c_str(), extra.c_str());
    line_open = false;
  } else {
    std::fprintf(stderr, "%s %ld/%ld done in %s %s\n", label_.c_str(), total_, total_, format_duration(elapsed_s()).c_str(),
                 extra.c_str());
  }
  std::fflush(stderr);
}

}  // namespace avtune
