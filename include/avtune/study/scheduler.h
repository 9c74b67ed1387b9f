#pragma once
// The study's scheduler of cached, resumable training runs. A stage's body runs in passes: each pass
// walks the stage's loops, asking cached() for every run. A finished run (metrics.jsonl holds all its
// epochs and last.pth exists) is read back; an interrupted one is queued to resume; a missing one is
// queued to train; a run whose init checkpoint does not exist yet waits for the next pass. After the
// pass the queue is trained side by side, and the first pass that neither queues nor waits is the one
// whose numbers count (docs/reproduce.md).
#include <nlohmann/json.hpp>

#include <cmath>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "avtune/train/train_config.h"

namespace avtune {

// What a run directory says about a run.
struct RunLog {
  std::string dir;
  std::vector<double> top1;  // eval top-1 per epoch (NaN for epochs without evaluation)
  double last = std::nan("");
  double seconds = 0;
  nlohmann::json last_eval;
  bool pending = false;  // queued or waiting, not trained yet: its numbers are placeholders
};

// Reads <dir>/metrics.jsonl (a missing file gives an empty log).
RunLog read_run(const std::string& dir);

// Trains a pass's runs (the study passes run_pool; tests a fake that writes run files).
using RunTrainer = std::function<void(std::vector<TrainConfig>)>;
// Top-1 of a finished run's last.pth on a split of its own data set (the study passes study/split_eval.h,
// cached in the run's folder; tests a fake): Fusion Tuning's arms are chosen on "val" with it, never on test.
using RunEvaluator = std::function<double(const TrainConfig& run, const std::string& split)>;

class Scheduler {
 public:
  explicit Scheduler(RunTrainer trainer, bool quiet = true);

  // Runs `body` in passes until one queues and defers nothing; records the stage's wall time. Throws
  // avtune::Error naming the stage and the runs it waits on when a pass defers runs but queues none.
  void stage(const std::string& name, const std::function<void()>& body);

  // The run `cfg` describes: read back when finished (and claimed by no worker), else queued
  // (resume = true when it has a last.pth) or deferred, and a pending RunLog returned.
  RunLog cached(TrainConfig cfg);
  // Defers this pass: something the caller needs (e.g. a finished joint run for its probes) is pending.
  void wait(const std::string& why);
  // The finished run `run` evaluated on `split` by the evaluator set here; throws when none was set.
  void set_evaluator(RunEvaluator e) { evaluator_ = std::move(e); }
  double evaluated(const TrainConfig& run, const std::string& split);
  // True while this pass has queued or deferred runs.
  bool pass_pending() const { return !queue_.empty() || !waiting_.empty(); }
  // Runs queued plus reasons deferred so far in this pass: a caller compares two readings to learn
  // whether its own asks left something pending (study/adaptive_seeds.h).
  size_t pending_count() const { return queue_.size() + waiting_.size(); }

  int runs_trained() const { return trained_; }             // runs handed to the trainer so far
  size_t runs_total() const { return all_runs_.size(); }    // distinct run directories seen
  // (stage name, seconds) in running order.
  const std::vector<std::pair<std::string, double>>& stage_seconds() const { return stage_seconds_; }

 private:
  RunTrainer trainer_;
  RunEvaluator evaluator_;
  bool quiet_;
  int trained_ = 0;
  std::set<std::string> all_runs_;
  std::vector<TrainConfig> queue_;    // this pass's runs to train, in the order they were asked for
  std::vector<std::string> waiting_;  // why this pass deferred runs
  std::vector<std::pair<std::string, double>> stage_seconds_;
};

}  // namespace avtune
