#pragma once
// Seeds where the doubt is (docs/reproduce.md, "Seeds"): after an experiment's planned seeds, the arms
// of every comparison whose 95% Welch interval contains zero and reaches beyond +-min_effect get one
// more seed, round after round, until no comparison asks or the arms reach max_seeds. Runs go through
// the scheduler, so added seeds are cached and resumed like the planned ones, and a rerun on the same
// machine makes the same decisions from the cached numbers.
#include <cstddef>
#include <functional>
#include <vector>

#include "avtune/study/scheduler.h"

namespace avtune {

// Arm `a` against arm `b` on metric `metric` (an index into what a run returns).
struct ArmComparison {
  size_t a = 0, b = 0, metric = 0;
};

struct SeedPolicy {
  int max_seeds = 3;         // no arm goes beyond this many seeds (nor below its planned count)
  double min_effect = 0.02;  // differences smaller than this do not matter (report/verdicts.h)
};

// The arms that need one more seed now, given each arm's values per metric per seed
// (values[arm][metric][seed]): both arms of every comparison whose interval contains zero and
// reaches beyond +-min_effect, when that arm is below max_seeds. Sorted, without repeats.
std::vector<size_t> arms_needing_seeds(const std::vector<std::vector<std::vector<double>>>& values,
                                       const std::vector<ArmComparison>& comparisons, const SeedPolicy& policy);

// One run: seed index `seed` of arm `arm` (asked through the scheduler); its metrics, NaN while pending.
using ArmRun = std::function<std::vector<double>(size_t arm, int seed)>;

// Runs planned[arm] seeds of every arm, then adds seeds as arms_needing_seeds asks, within the current
// scheduler pass: it stops growing as soon as one of its own runs is pending (the next pass continues
// from the cache). Returns values[arm][metric][seed] for the seeds asked so far; arm i's seed count is
// values[i][0].size().
std::vector<std::vector<std::vector<double>>> run_adaptive_arms(Scheduler& s, const std::vector<int>& planned,
                                                                size_t metrics,
                                                                const std::vector<ArmComparison>& comparisons,
                                                                const SeedPolicy& policy, const ArmRun& run);

}  // namespace avtune
