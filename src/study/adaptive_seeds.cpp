#include "avtune/study/adaptive_seeds.h"

#include <algorithm>
#include <set>

#include "avtune/report/verdicts.h"

namespace avtune {

std::vector<size_t> arms_needing_seeds(const std::vector<std::vector<std::vector<double>>>& values,
                                       const std::vector<ArmComparison>& comparisons, const SeedPolicy& policy) {
  std::set<size_t> out;
  for (const auto& c : comparisons) {
    if (c.a >= values.size() || c.b >= values.size()) continue;
    if (c.metric >= values[c.a].size() || c.metric >= values[c.b].size()) continue;
    const auto d = welch_interval(values[c.a][c.metric], values[c.b][c.metric]);
    if (!needs_more_seeds(d, policy.min_effect)) continue;
    for (size_t arm : {c.a, c.b})
      if (static_cast<int>(values[arm][c.metric].size()) < policy.max_seeds) out.insert(arm);
  }
  return {out.begin(), out.end()};
}

std::vector<std::vector<std::vector<double>>> run_adaptive_arms(Scheduler& s, const std::vector<int>& planned,
                                                                size_t metrics,
                                                                const std::vector<ArmComparison>& comparisons,
                                                                const SeedPolicy& policy, const ArmRun& run) {
  std::vector<std::vector<std::vector<double>>> values(planned.size(), std::vector<std::vector<double>>(metrics));
  std::vector<int> want = planned;
  const size_t pending_before = s.pending_count();
  for (;;) {
    for (size_t arm = 0; arm < planned.size(); ++arm) {
      for (int k = static_cast<int>(values[arm][0].size()); k < want[arm]; ++k) {
        const auto m = run(arm, k);
        for (size_t i = 0; i < metrics; ++i) values[arm][i].push_back(i < m.size() ? m[i] : std::nan(""));
      }
    }
    // Pending runs carry placeholder numbers: decide only on finished ones (the next pass). Only this
    // call's runs count, so two experiments of one stage add their seeds in the same passes.
    if (s.pending_count() != pending_before) return values;
    const auto more = arms_needing_seeds(values, comparisons, policy);
    if (more.empty()) return values;
    for (size_t arm : more) ++want[arm];
  }
}

}  // namespace avtune
