#pragma once
// A training run's configuration: the engine's settings as one flat JSON object (the keys are the
// field names below), loadable from a file with command-line overrides on top, plus free-form
// "model" / "data" sections the CLI keeps for itself (saved in config.json so eval and resume can
// rebuild the run).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "avtune/train/lr_schedule.h"
#include "avtune/train/optimizer.h"

namespace avtune {

struct TrainConfig {
  int64_t epochs = 10;
  int64_t batch_size = 32;
  OptimizerConfig optim;    // keys: optimizer, lr, momentum, nesterov, beta1, beta2, eps, weight_decay,
                            //       decay_exclude, grad_clip
  ScheduleConfig schedule;  // keys: schedule, step_size, milestones, gamma, min_lr, warmup_epochs
  uint64_t seed = 0;        // model init, loader order and augmentation
  int workers = 2;          // loader threads
  std::string device = "auto";  // auto|cpu|cuda|cuda:N
  std::string out_dir;      // run directory (config.json, checkpoints, metrics.jsonl, curve.csv)
  bool resume = false;      // continue from <out_dir>/last.pth
  int64_t eval_every = 1;   // evaluate every N epochs (and after the last); 0 = only after the last
  bool record_confidences = false;  // keep each training sample's true-class confidence per epoch
  bool progress = true;     // progress lines on stderr
  nlohmann::json model = nlohmann::json::object();  // the CLI's model description (depth, width, ...)
  nlohmann::json data = nlohmann::json::object();   // the CLI's data description (root, format, ...)
};

nlohmann::json to_json(const TrainConfig& c);
// Applies the keys present in `j` on top of `base` (absent keys keep their value); unknown keys and
// values of the wrong type throw, naming `source` (a file path or "command line").
TrainConfig apply_json(TrainConfig base, const nlohmann::json& j, const std::string& source);
TrainConfig train_config_from_json(const nlohmann::json& j, const std::string& source = "config");
// Parses a JSON file into the defaults.
TrainConfig load_train_config(const std::string& path);
// The configuration a run uses: defaults <- config file (when `path` is not empty) <- overrides
// (the options given on the command line, as JSON with the same keys). Overrides win.
TrainConfig resolve_train_config(const std::string& path, const nlohmann::json& overrides);

}  // namespace avtune
