#pragma once
// What every experiment of the study shares besides the plan: where the study and its data live,
// the runtime settings, the fbank statistics, and the run configuration every study run starts from.
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "avtune/study/plan.h"
#include "avtune/train/train_config.h"

namespace avtune {

struct RunPoolOptions;  // run/run_pool.h

struct StudyContext {
  std::filesystem::path out;  // the study folder
  std::string data_dir;       // the embedded data
  std::string device = "auto";
  int workers = 2;
  bool quiet = false;
  bool results = true;  // this process computes the numbers (worker 0); other workers only train
  std::map<std::string, std::pair<double, double>> fbank;  // data set ("av-fashion", ...) -> (mean, std)

  std::string av_root() const;  // <data>/av-fashion, the target data set of every fine-tuning run
  // last.pth of the source model pre-trained on "visual" or "audio" data.
  std::string source_checkpoint(const std::string& which) const;
  // An encoder init spec ("random" or PATH[:conv1=RULE]) for a source named by the plan.
  std::string init_spec(const std::string& source, const std::string& conv1) const;
};

// Builds the embedded data into c.data_dir (the plan's sizes, c.workers threads) unless its data card
// (<data>/README.md) exists, one process at a time under the study's lock: the first builds, the others
// find it. Returns the build's seconds, or a negative number when the data was already there.
double ensure_study_data(const StudyPlan& p, const StudyContext& c);

// Each data set the study trains on (av-fashion, spoken-words) is normalised with its own training
// split's fbank mean and std: computed once (the first worker, under the study's lock), cached as
// <out>/fbank-stats-<key>.json and read back unless `fresh`. Fills c.fbank; returns the cached JSON
// per data set (for results.json). The study and `avtune sweep` share it.
nlohmann::json study_fbank_stats(const StudyPlan& p, StudyContext& c, bool fresh = false);

// How the study's and the sweep's runs are trained: `parallel` runs side by side (0: one per LibTorch
// thread on a CPU, one on a GPU), the threads shared among them, and after each run its figures and
// its complete mark (a run without the mark is resumed; study/work_claim.h). `label` prefixes progress.
RunPoolOptions study_pool_options(int parallel, const std::string& device, bool quiet, const std::string& label);

// The "data" section of an av-fashion run; `mask_file` (Fusion Tuning's ratios) only when given.
nlohmann::json av_data(const StudyPlan& p, const StudyContext& c, const std::string& mask_file = "");

// A fine-tuning run: SGD with momentum, cosine schedule, the plan's batch, the context's runtime.
TrainConfig study_run(const StudyPlan& p, const StudyContext& c, const std::filesystem::path& dir, int64_t epochs,
                      double lr, double wd, uint64_t seed);

// Mean and sample standard deviation (0 for a single value; NaN when empty).
struct MeanStd {
  double mean = std::nan(""), std = std::nan("");
  size_t n = 0;
};
MeanStd mean_std(const std::vector<double>& v);
nlohmann::json to_json(const MeanStd& m);

// Per epoch over seeds (truncated to the shortest curve): {"epoch": [1..], "mean": [...], "std": [...],
// "n": seeds} with std 0 for a single seed (the figures' interval band).
nlohmann::json mean_curve_json(const std::vector<std::vector<double>>& per_seed);

}  // namespace avtune
