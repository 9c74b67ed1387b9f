#pragma once
// Learning-rate schedules evaluated per optimizer step. Each is a pure function of the step count
// (and the epoch length), so resuming at step s gives exactly the rates of an uninterrupted run.
#include <cstdint>
#include <string>
#include <vector>

namespace avtune {

struct ScheduleConfig {
  std::string kind = "constant";  // constant|step|multistep|cosine
  int64_t step_size = 30;         // step: multiply by gamma every step_size epochs
  std::vector<int64_t> milestones;  // multistep: multiply by gamma at each of these epochs
  double gamma = 0.1;
  double min_lr = 0;              // cosine: the rate reached at the last step
  double warmup_epochs = 0;       // linear warm-up from base/warmup_steps to base (fractional epochs allowed)
};

class LRSchedule {
 public:
  // `total_epochs` sets the cosine's length; `steps_per_epoch` converts steps to epochs.
  LRSchedule(const ScheduleConfig& cfg, double base_lr, int64_t steps_per_epoch, int64_t total_epochs);

  // The rate of optimizer step `step` (0-based):
  //   warm-up (step < W = round(warmup_epochs * steps_per_epoch)): base * (step + 1) / W
  //   constant:  base
  //   step:      base * gamma^floor(e / step_size),      e = floor(step / steps_per_epoch)
  //   multistep: base * gamma^(#milestones <= e)
  //   cosine:    min + (base - min) * (1 + cos(pi * t)) / 2,  t = (step - W) / (total - W), clamped to [0, 1]
  double at(int64_t step) const;

  int64_t warmup_steps() const { return warmup_steps_; }
  int64_t total_steps() const { return total_steps_; }
  const ScheduleConfig& config() const { return cfg_; }
  std::string describe() const;

 private:
  ScheduleConfig cfg_;
  double base_;
  int64_t steps_per_epoch_, total_steps_, warmup_steps_;
};

}  // namespace avtune
