#include "avtune/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "avtune/util/error.h"

namespace avtune {

LRSchedule::LRSchedule(const ScheduleConfig& cfg, double base_lr, int64_t steps_per_epoch, int64_t total_epochs)
    : cfg_(cfg), base_(base_lr), steps_per_epoch_(steps_per_epoch) {
  if (steps_per_epoch < 1) fail("lr-schedule", "steps per epoch >= 1", std::to_string(steps_per_epoch));
  if (total_epochs < 1) fail("lr-schedule", "epochs >= 1", std::to_string(total_epochs));
  if (cfg.warmup_epochs < 0) fail("lr-schedule", "warmup_epochs >= 0", std::to_string(cfg.warmup_epochs));
  if (cfg.kind == "step" && cfg.step_size < 1) fail("lr-schedule", "step_size >= 1 epoch", std::to_string(cfg.step_size));
  if (cfg.kind != "constant" && cfg.kind != "step" && cfg.kind != "multistep" && cfg.kind != "cosine")
    fail("lr-schedule", "constant|step|multistep|cosine", "'" + cfg.kind + "'");
  if (cfg.kind == "multistep" && !std::is_sorted(cfg.milestones.begin(), cfg.milestones.end()))
    fail("lr-schedule", "milestones in increasing order", "an unsorted list");
  total_steps_ = steps_per_epoch * total_epochs;
  warmup_steps_ = static_cast<int64_t>(std::llround(cfg.warmup_epochs * static_cast<double>(steps_per_epoch)));
}

double LRSchedule::at(int64_t step) const {
  if (step < warmup_steps_)
    return base_ * static_cast<double>(step + 1) / static_cast<double>(warmup_steps_);
  const int64_t epoch = step / steps_per_epoch_;
  if (cfg_.kind == "step") return base_ * std::pow(cfg_.gamma, static_cast<double>(epoch / cfg_.step_size));
  if (cfg_.kind == "multistep") {
    const auto passed = std::upper_bound(cfg_.milestones.begin(), cfg_.milestones.end(), epoch) - cfg_.milestones.begin();
    return base_ * std::pow(cfg_.gamma, static_cast<double>(passed));
  }
  if (cfg_.kind == "cosine") {
    const double span = static_cast<double>(std::max<int64_t>(1, total_steps_ - warmup_steps_));
    const double t = std::clamp(static_cast<double>(step - warmup_steps_) / span, 0.0, 1.0);
    return cfg_.min_lr + (base_ - cfg_.min_lr) * 0.5 * (1.0 + std::cos(M_PI * t));
  }
  return base_;
}

std::string LRSchedule::describe() const {
  std::string s = cfg_.kind + " from " + std::to_string(base_);
  if (cfg_.kind == "step") s += ", x" + std::to_string(cfg_.gamma) + " every " + std::to_string(cfg_.step_size) + " epochs";
  if (cfg_.kind == "multistep") {
    s += ", x" + std::to_string(cfg_.gamma) + " at epochs";
    for (auto m : cfg_.milestones) s += " " + std::to_string(m);
  }
  if (cfg_.kind == "cosine") s += " to " + std::to_string(cfg_.min_lr) + " over " + std::to_string(total_steps_) + " steps";
  if (warmup_steps_ > 0) s += ", linear warm-up over " + std::to_string(warmup_steps_) + " steps";
  return s;
}

}  // namespace avtune
