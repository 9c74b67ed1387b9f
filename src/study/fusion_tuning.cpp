#include "avtune/study/fusion_tuning.h"

#include <fmt/format.h>

#include <memory>

#include "avtune/data/dataset.h"
#include "avtune/run/training_run.h"
#include "avtune/study/adaptive_seeds.h"
#include "avtune/study/clip_card.h"
#include "avtune/study/fust_stage1.h"
#include "avtune/study/joint.h"
#include "avtune/study/work_claim.h"
#include "avtune/train/trainer.h"

namespace avtune {

namespace fs = std::filesystem;
using nlohmann::json;

json FusionTuningResult::to_json() const {
  json rows = json::array();
  for (const auto& a : arms) {
    json summary = nullptr;
    if (a.masked)
      summary = {{"audio_masked", a.masks.audio_masked}, {"visual_masked", a.masks.visual_masked},
                 {"mean_ratio_audio", a.masks.mean_audio}, {"mean_ratio_visual", a.masks.mean_visual}};
    rows.push_back({{"arm", a.name}, {"masks", summary}, {"joint_top1", avtune::to_json(mean_std(a.joint))},
                    {"probe_audio", avtune::to_json(mean_std(a.probe_audio))},
                    {"probe_visual", avtune::to_json(mean_std(a.probe_visual))}, {"per_seed", a.joint},
                    {"per_seed_probe_audio", a.probe_audio}, {"per_seed_probe_visual", a.probe_visual}});
  }
  json scatter = {{"group_names", clip_group_names()}, {"name", json::array()}, {"audio", json::array()},
                  {"visual", json::array()}, {"group", groups}};
  for (const auto& sc : confidences) {
    scatter["name"].push_back(sc.name);
    scatter["audio"].push_back(sc.audio);
    scatter["visual"].push_back(sc.visual);
  }
  return {{"rows", rows}, {"samples", confidences.size()}, {"stage1_top1", stage1_top1},
          {"rule", {{"tau", rule.tau}, {"eta", rule.eta_audio}, {"rho", rule.rho_audio}}},
          {"stage1_confidence", scatter}};
}

FusionTuningResult run_fusion_tuning(const StudyPlan& p, Scheduler& s, const StudyContext& c) {
  FusionTuningResult res;
  for (const auto& a : p.arms)
    if (a.masked && a.rule.rule == MaskRule::Symmetric && !a.rule.mean_mode) res.rule = a.rule;
  const fs::path root = c.out / "fust";
  auto stage1 = run_fust_stage1(p, s, c, root);  // study/fust_stage1.h
  res.stage1_top1 = stage1.top1;
  if (!stage1.done) return res;  // stage 2 needs stage 1's confidences and checkpoints
  res.stage1_done = true;
  res.confidences = std::move(stage1.confidences);

  // Every worker writes the same mask files, one at a time (study/work_claim.h).
  auto shared_files = std::make_unique<StudyLock>(c.out);
  const auto card = read_clip_groups((fs::path(c.av_root()) / "clips.csv").string());
  for (const auto& sc : res.confidences) {
    const auto it = card.find(sc.name);
    res.groups.push_back(it == card.end() ? -1 : it->second);
  }

  std::vector<std::string> mask_paths(p.arms.size());
  for (size_t i = 0; i < p.arms.size(); ++i) {
    const auto& arm = p.arms[i];
    FusionArmResult ar;
    ar.name = arm.name;
    ar.masked = arm.masked;
    if (arm.masked) {
      mask_paths[i] = (root / arm.file).string();
      const auto ratios = mask_ratios(arm.rule, res.confidences);
      write_mask_ratios_csv(mask_paths[i], res.confidences, ratios);
      ar.masks = summarize(ratios);
    }
    res.arms.push_back(std::move(ar));
  }
  shared_files.reset();
  // The finding's comparison (report/verdicts.h): the symmetric rule (arm 2) vs the baseline (arm 0), joint accuracy.
  const auto run = [&](size_t i, int k) {
    auto cfg = study_run(p, c, root / fmt::format("stage2-{}-seed{}", i, k), p.s2_epochs, p.ft_lr, p.ft_wd,
                         p.seed.fust_stage2 + static_cast<uint64_t>(k));
    cfg.model = {{"modality", "av"}, {"width", p.width},
                 {"audio_init", (root / "stage1" / "audio" / RunFiles::kLast).string()},
                 {"visual_init", (root / "stage1" / "visual" / RunFiles::kLast).string()}};
    cfg.data = av_data(p, c, mask_paths[i]);
    const auto r = s.cached(cfg);
    const auto [a, v] = linear_probes(p, s, c, r, p.seed.fust_probe + static_cast<uint64_t>(k));
    return std::vector<double>{r.last, a, v};
  };
  const auto values = run_adaptive_arms(s, std::vector<int>(p.arms.size(), p.seeds), 3, {{2, 0, 0}},
                                        {p.max_seeds, p.min_effect}, run);
  for (size_t i = 0; i < p.arms.size(); ++i) {
    res.arms[i].joint = values[i][0];
    res.arms[i].probe_audio = values[i][1];
    res.arms[i].probe_visual = values[i][2];
  }
  return res;
}

}  // namespace avtune
