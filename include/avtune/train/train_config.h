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
  OptimizerConfig optim;    // keys and flags: for_each_field below
  ScheduleConfig schedule;
  uint64_t seed = 0;        // model init, loader order and augmentation
  int workers = 2;          // loader threads
  std::string device = "auto";  // auto|cpu|cuda|cuda:N
  std::string precision = "fp32";  // fp32|bf16|fp16: autocast dtype of forward and loss (train/precision.h)
  std::string out_dir;      // run directory (config.json, checkpoints, metrics.jsonl, curve.csv)
  bool resume = false;      // continue from <out_dir>/last.pth
  int64_t eval_every = 1;   // evaluate every N epochs (and after the last); 0 = only after the last
  bool record_confidences = false;  // keep each training sample's true-class confidence per epoch
  bool progress = true;     // progress lines on stderr
  // Modality balancing of audio-visual runs (docs/balancing.md): none|ogm|ogm-ge|opm|umt, applied by a
  // step hook that run/ builds (methods/balance.h); the engine only records the settings.
  std::string balance = "none";
  double balance_alpha = 0.1;     // OGM's alpha (1 - tanh(alpha * rho)); OPM's alpha (q = q_base (1 + alpha r))
  int64_t balance_start = 0;      // first modulated epoch (0-based, inclusive, as the reference)
  int64_t balance_end = 50;       // last modulated epoch (inclusive)
  bool balance_centered = false;  // OGM: tanh(alpha * (rho - 1)) instead of the published tanh(alpha * rho)
  double opm_q_base = 0.5;        // OPM: base drop probability of the dominant modality's features
  double opm_p_exe = 0.7;         // OPM: probability that a step drops at all
  std::string umt_audio_teacher;  // UMT: weights of the frozen audio teacher (a `train --modality audio` run's)
  std::string umt_visual_teacher; // UMT: weights of the frozen visual teacher
  double umt_weight = 1.0;        // UMT: lambda on the summed feature-distillation MSE
  // Data-parallel runs (docs/distributed.md): batch_size is per process, as in DDP.
  std::string dist_backend = "auto";  // auto|gloo|nccl
  bool sync_bn = false;      // batch statistics over every process's batch (SyncBatchNorm)
  double dist_timeout = 300; // seconds every process has to join the rendezvous
  int64_t world_size = 1;    // processes of the run: recorded by the engine, not a setting
  nlohmann::json model = nlohmann::json::object();  // the CLI's model description (depth, width, ...)
  nlohmann::json data = nlohmann::json::object();   // the CLI's data description (root, format, ...)
};

// Visits every engine setting: f(key, flag, help, member), the one place where each key, its CLI
// flag (empty: not a flag) and its help are declared (the default is the member's initialiser above).
// The "model" and "data" sections are not visited: run/run_spec.h declares theirs.
template <typename F>
void for_each_field(TrainConfig& c, F&& f) {
  f("epochs", "--epochs", "epochs", c.epochs);
  f("batch_size", "--batch-size", "batch size per process (global batch = this x processes, as DDP)", c.batch_size);
  f("optimizer", "--optimizer", "sgd|adam|adamw", c.optim.kind);
  f("lr", "--lr", "base learning rate", c.optim.lr);
  f("momentum", "--momentum", "SGD momentum", c.optim.momentum);
  f("nesterov", "--nesterov", "Nesterov momentum", c.optim.nesterov);
  f("beta1", "", "Adam beta1", c.optim.beta1);
  f("beta2", "", "Adam beta2", c.optim.beta2);
  f("eps", "", "Adam epsilon", c.optim.eps);
  f("weight_decay", "--weight-decay", "weight decay", c.optim.weight_decay);
  f("decay_exclude", "--decay-exclude", "no weight decay on BatchNorm, biases and ABRi mixing weights",
    c.optim.decay_exclude);
  f("grad_clip", "--grad-clip", "clip the global gradient norm (0 = off)", c.optim.grad_clip);
  f("schedule", "--schedule", "constant|step|multistep|cosine", c.schedule.kind);
  f("step_size", "--step-size", "step: epochs between decays", c.schedule.step_size);
  f("milestones", "--milestones", "multistep: epochs, comma-separated", c.schedule.milestones);
  f("gamma", "--gamma", "step/multistep: decay factor", c.schedule.gamma);
  f("min_lr", "--min-lr", "cosine: final rate", c.schedule.min_lr);
  f("warmup_epochs", "--warmup-epochs", "linear warm-up epochs", c.schedule.warmup_epochs);
  f("seed", "--seed", "seed of init, order and augmentation", c.seed);
  f("workers", "--workers", "loader threads", c.workers);
  f("device", "", "auto|cpu|cuda|cuda:N (the global --device)", c.device);
  f("precision", "--precision", "fp32|bf16|fp16: autocast forward and loss, fp32 weights (fp16: CUDA, loss scaling)",
    c.precision);
  f("out_dir", "--out", "run directory (default runs/<timestamp>-<what>)", c.out_dir);
  f("resume", "--resume", "continue the run in --out from its last.pth", c.resume);
  f("eval_every", "--eval-every", "evaluate every N epochs (0 = only after the last)", c.eval_every);
  f("record_confidences", "", "keep each training sample's true-class confidence per epoch", c.record_confidences);
  f("progress", "", "progress lines on stderr", c.progress);
  f("balance", "--balance", "modality balancing of av runs: none|ogm|ogm-ge|opm|umt (docs/balancing.md)", c.balance);
  f("balance_alpha", "--balance-alpha", "balancing: OGM's alpha / OPM's alpha", c.balance_alpha);
  f("balance_start", "--balance-start", "balancing: first modulated epoch (0-based, inclusive)", c.balance_start);
  f("balance_end", "--balance-end", "balancing: last modulated epoch (0-based, inclusive)", c.balance_end);
  f("balance_centered", "--balance-centered", "OGM: coefficient 1 - tanh(alpha (rho - 1)) instead of the published 1 - tanh(alpha rho)",
    c.balance_centered);
  f("opm_q_base", "--opm-q-base", "OPM: base drop probability of the dominant modality", c.opm_q_base);
  f("opm_p_exe", "--opm-p-exe", "OPM: probability that a step drops features at all", c.opm_p_exe);
  f("umt_audio_teacher", "--umt-audio-teacher", "UMT: frozen audio teacher (a train --modality audio or fust stage1 checkpoint)",
    c.umt_audio_teacher);
  f("umt_visual_teacher", "--umt-visual-teacher", "UMT: frozen visual teacher (a train --modality visual or fust stage1 checkpoint)",
    c.umt_visual_teacher);
  f("umt_weight", "--umt-weight", "UMT: lambda on the summed feature-distillation MSE", c.umt_weight);
  f("dist_backend", "--dist-backend", "multi-process backend: auto|gloo|nccl (auto: NCCL on CUDA when built with it)",
    c.dist_backend);
  f("sync_bn", "--sync-bn", "multi-process: BatchNorm statistics over every process's batch", c.sync_bn);
  f("dist_timeout", "--dist-timeout", "multi-process: seconds for every process to join", c.dist_timeout);
  f("world_size", "", "processes of the run (recorded)", c.world_size);
}

// What a setting's value must be: "" when `v` is allowed for `key`, else what is expected. Checked for
// config files (apply_json, naming the file) and flags (naming the flag, a usage error) alike.
std::string train_setting_problem(const std::string& key, const nlohmann::json& v);

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
