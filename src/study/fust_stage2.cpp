#include "avtune/study/fust_stage2.h"

#include <fmt/format.h>

#include <cmath>

#include "avtune/study/adaptive_seeds.h"
#include "avtune/study/fust_stage1.h"
#include "avtune/study/joint.h"

namespace avtune {

namespace fs = std::filesystem;

namespace {

bool balancing(const FusionArm& a) { return a.train.value("balance", std::string("none")) != "none"; }

}  // namespace

TrainConfig fust_stage2_base(const StudyPlan& p, const StudyContext& c, const fs::path& root, const fs::path& dir,
                             int k, const std::string& mask_file) {
  auto cfg = study_run(p, c, dir, p.s2_epochs, p.ft_lr, p.ft_wd, p.seed.fust_stage2 + static_cast<uint64_t>(k));
  cfg.model = {{"modality", "av"}, {"width", p.width}, {"audio_init", fust_stage1_checkpoint(root, "audio")},
               {"visual_init", fust_stage1_checkpoint(root, "visual")}};
  cfg.data = av_data(p, c, mask_file);
  return cfg;
}

TrainConfig fust_stage2_run(const StudyPlan& p, const StudyContext& c, const fs::path& root, size_t i, int k,
                            const std::string& mask_file) {
  const auto& arm = p.arms.at(i);
  const std::string key = arm.key.empty() ? std::to_string(i) : arm.key;
  auto cfg = fust_stage2_base(p, c, root, root / fmt::format("stage2-{}-seed{}", key, k), k, mask_file);
  if (!arm.train.empty()) cfg = apply_json(cfg, arm.train, fmt::format("plan fust_arms[{}].train", i));
  if (cfg.balance == "umt") {
    // UMT's uni-modal teachers are exactly what stage 1 trains (docs/balancing.md): here also the
    // encoders the student starts from, so the distillation term holds each encoder near its stage-1 self.
    if (cfg.umt_audio_teacher.empty()) cfg.umt_audio_teacher = fust_stage1_checkpoint(root, "audio");
    if (cfg.umt_visual_teacher.empty()) cfg.umt_visual_teacher = fust_stage1_checkpoint(root, "visual");
  }
  return cfg;
}

std::vector<size_t> fust_val_candidates(const StudyPlan& p) {
  std::vector<size_t> out;
  for (size_t i = 0; i < p.arms.size(); ++i)
    if (p.arms[i].masked && !balancing(p.arms[i])) out.push_back(i);
  return out;
}

int best_on_validation(const std::vector<size_t>& candidates, const std::vector<std::vector<double>>& val) {
  int best = -1;
  double best_mean = -1;
  for (size_t i : candidates) {
    if (i >= val.size()) continue;
    const double m = mean_std(val[i]).mean;  // NaN without values
    if (std::isfinite(m) && (best < 0 || m > best_mean)) best = static_cast<int>(i), best_mean = m;
  }
  return best;
}

void run_fust_stage2(const StudyPlan& p, Scheduler& s, const StudyContext& c, const fs::path& root,
                     const std::vector<std::string>& mask_paths, FusionTuningResult& res) {
  res.arms.resize(p.arms.size());
  for (size_t i = 0; i < p.arms.size(); ++i) {
    auto& ar = res.arms[i];
    ar.name = p.arms[i].name;
    ar.key = p.arms[i].key.empty() ? std::to_string(i) : p.arms[i].key;
    ar.masked = p.arms[i].masked;
    ar.balance = p.arms[i].train.value("balance", std::string("none"));
  }
  const auto mask_of = [&](size_t i) { return i < mask_paths.size() ? mask_paths[i] : std::string(); };
  const auto run = [&](size_t i, int k) {
    const auto r = s.cached(fust_stage2_run(p, c, root, i, k, mask_of(i)));
    const auto [a, v] = linear_probes(p, s, c, r, p.seed.fust_probe + static_cast<uint64_t>(k));
    return std::vector<double>{r.last, a, v};
  };
  // The findings' comparisons (report/verdicts.h), joint accuracy against the baseline (arm 0): the
  // symmetric rule (arm 2) and every balancing method; the best-on-validation arm once it is chosen.
  std::vector<ArmComparison> comparisons = {{2, 0, 0}};
  for (size_t i = 0; i < p.arms.size(); ++i)
    if (balancing(p.arms[i])) comparisons.push_back({i, 0, 0});
  const std::vector<int> planned(p.arms.size(), p.seeds);
  const SeedPolicy policy{p.max_seeds, p.min_effect};
  const size_t pending_before = s.pending_count();
  auto values = run_adaptive_arms(s, planned, 3, comparisons, policy, run);
  if (s.pending_count() == pending_before) {
    // Every planned run is finished: evaluate the FusT arms' planned seeds on validation (cached per run).
    const auto candidates = fust_val_candidates(p);
    std::vector<std::vector<double>> val(p.arms.size());
    for (size_t i : candidates)
      for (int k = 0; k < p.seeds; ++k)
        val[i].push_back(s.evaluated(fust_stage2_run(p, c, root, i, k, mask_of(i)), "val"));
    for (size_t i : candidates) res.arms[i].val = val[i];
    res.best_val = best_on_validation(candidates, val);
    if (res.best_val > 0 && res.best_val != 2) {
      comparisons.push_back({static_cast<size_t>(res.best_val), 0, 0});
      values = run_adaptive_arms(s, planned, 3, comparisons, policy, run);
    }
  }
  for (size_t i = 0; i < p.arms.size(); ++i) {
    res.arms[i].joint = values[i][0];
    res.arms[i].probe_audio = values[i][1];
    res.arms[i].probe_visual = values[i][2];
  }
}

}  // namespace avtune
