#pragma once
// Progress line with rate and ETA for long loops; prints to stderr at most every `min_interval_s`.
// On a terminal the line is redrawn in place; otherwise (a log file, a pipe) plain lines, at most
// one each 30 s, and no escape codes.
#include <chrono>
#include <string>

namespace avtune {

class Progress {
 public:
  Progress(std::string label, long total, double min_interval_s = 1.0);
  void update(long done, const std::string& extra = "");
  void finish(const std::string& extra = "");
  double elapsed_s() const;

 private:
  std::string label_;
  long total_;
  double min_interval_s_;
  std::chrono::steady_clock::time_point start_, last_print_;
  bool printed_ = false;
};

std::string format_duration(double seconds);

// Ends a progress line left open on the terminal, so an error or warning printed next starts on
// its own line (main() calls it before printing an error).
void end_progress_line();

}  // namespace avtune
