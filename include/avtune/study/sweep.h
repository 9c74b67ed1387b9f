#pragma once
// `avtune sweep`: a search over Fusion Tuning's hyper-parameters (tau, eta, rho and the mask rule),
// which the paper never released (issue 19, docs/fusion_tuning.md "Searching tau, eta, rho"). One
// stage-1 pair is shared; each setting is a stage-2 run scored on the validation split only (its
// training evaluates on val), the best mean over the search seeds is chosen, and only then are the
// chosen setting and the no-mask baseline evaluated on test over the test seeds. Runs are cached and
// resumable like the study's (study/scheduler.h).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "avtune/methods/fusion_masks.h"
#include "avtune/study/context.h"
#include "avtune/study/scheduler.h"

namespace avtune {

// The values each hyper-parameter takes; a grid is their product.
struct SweepGrid {
  std::vector<MaskRule> rules = {MaskRule::Reference, MaskRule::Symmetric};
  std::vector<bool> mean_modes = {false, true};
  std::vector<double> tau = {0.5, 0.7};
  std::vector<double> eta_audio = {3.0}, eta_visual = {3.0};
  std::vector<double> rho_audio = {0.15, 0.5}, rho_visual = {0.15, 0.5};
  bool tie_eta = true, tie_rho = true;  // eta/rho given once: eta_visual = eta_audio (rho alike)
};
// The default grid as a --grid string.
inline constexpr const char* kDefaultSweepGrid = "rule=reference,symmetric;mean=off,on;tau=0.5,0.7;eta=3;rho=0.15,0.5";

// "key=v1,v2;key=...", keys rule (reference|symmetric), mean (off|on), tau, eta (both modalities),
// eta_a, eta_v, rho, rho_a, rho_v; an absent key keeps the default grid's values. Errors name --grid,
// the key and the value.
SweepGrid parse_sweep_grid(const std::string& spec);

// The grid's settings in order (rule, mean, tau, eta_a, eta_v, rho_a, rho_v; the last varies fastest).
// The reference rule never masks visual (methods/fusion_masks.h), so for it only the first eta_v and
// rho_v are taken: settings that would give the same masks are not repeated.
std::vector<MaskRuleConfig> enumerate_sweep_grid(const SweepGrid& g);

// n settings drawn with `seed`: rule and mean mode uniform, tau in [0.3, 0.9], eta in [0.5, 6],
// rho in [0.05, 0.8], each rounded to 2 decimals; the same (n, seed) gives the same settings everywhere.
std::vector<MaskRuleConfig> random_sweep_settings(int n, uint64_t seed);

// A setting's folder name, e.g. "sym-mean-t0.5-ea3-ev3-ra0.15-rv0.15" (runs and masks are found by it,
// so a changed grid reuses the runs of the settings it keeps).
std::string sweep_key(const MaskRuleConfig& r);
// A readable label, e.g. "symmetric, mean, τ=0.5, η=3/3, ρ=0.15/0.15".
std::string sweep_label(const MaskRuleConfig& r);

struct SweepRow {
  std::string key;
  bool masked = true;  // false: the no-mask baseline
  MaskRuleConfig rule;
  MaskSummary masks;
  std::vector<double> val;  // validation top-1 per search seed
};

// The index of the masked row with the highest mean validation top-1; equal means (within 1e-12): the
// smaller standard deviation, then the earlier row. Rows with a NaN mean are never chosen. Only
// `val` is read. Throws avtune::Error when no masked row has a number.
size_t pick_sweep_best(const std::vector<SweepRow>& rows);

// What the search runs: the settings, the seeds, the stage-2 runs' sizes (the plan's).
struct SweepSpec {
  std::vector<MaskRuleConfig> settings;
  int search_seeds = 1, test_seeds = 3;
  std::string how;  // "grid SPEC" or "random N seed S", recorded
};

struct SweepResult {
  bool done = false;            // false while runs are pending (the numbers are placeholders)
  std::vector<SweepRow> rows;   // the baseline first, then the settings in order
  size_t best = 0;              // index into rows
  std::vector<double> test_best, test_baseline;  // test top-1 per test seed
  std::vector<double> val_best, val_baseline;    // val top-1 of the same runs
  nlohmann::json to_json(const SweepSpec& spec) const;  // sweep.json
};

// The test top-1 of a finished stage-2 run (the CLI: its last.pth on the test split, cached in the run
// folder; tests: a fake).
using SplitTop1 = std::function<double(const TrainConfig& run)>;

// The search and the test phase from stage 1's confidences, as stages of `s`: masks under <root>/masks,
// runs under <root>/search/<key>-seed<k>. Every stage-2 run evaluates on val; `test_top1` is called
// only after the choice, and only for the chosen setting's and the baseline's runs.
SweepResult run_sweep_stages(const StudyPlan& p, const SweepSpec& spec, Scheduler& s, const StudyContext& c,
                             const std::filesystem::path& root, const std::vector<SampleConfidence>& confidences,
                             const SplitTop1& test_top1);

struct SweepOptions {
  std::string out_dir, data_dir;
  std::string study_dir;  // optional: a finished `avtune reproduce` folder whose source models are reused
  std::string grid = kDefaultSweepGrid;
  int random = 0;  // > 0: that many random settings instead of the grid
  uint64_t random_seed = 0;
  int search_seeds = 1, test_seeds = 3;
  bool quick = false;
  std::string device = "auto";
  int workers = 2, parallel = 0;
  bool quiet = false;
};

struct SweepFiles {
  std::string json, best, table, figure;
  double seconds = 0;
  int runs_trained = 0;
  nlohmann::json result;
};

// The whole command: data and source models (built when missing, or taken from study_dir), stage 1,
// the search, the test phase, then sweep.json, best.json, sweep.md and sweep.svg.
SweepFiles run_sweep(const SweepOptions& o);

}  // namespace avtune
