#pragma once
// Progress line with rate and ETA for long loops; prints to stderr at most every `min_interval_s`.
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

}  // namespace avtune
