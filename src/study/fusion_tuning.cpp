#include "avtune/study/fusion_tuning.h"

#include <fmt/format.h>

#include <memory>

#include "avtune/data/dataset.h"
#include "avtune/run/training_run.h"
#include "avtune/study/adaptive_seeds.h"
#include "avtune/study/clip_card.h"
#include "avtune/study/fust_stage1.h"
#include "avtune/study/fust_stage2.h"
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
    const std::string method = a.balance != "none" ? "balance" : a.masked ? "fust" : "baseline";
    rows.push_back({{"arm", a.name}, {"key", a.key}, {"method", method},
                    {"balance", a.balance == "none" ? json() : json(a.balance)}, {"masks", summary},
                    {"joint_top1", avtune::to_json(mean_std(a.joint))},
                    {"probe_audio", avtune::to_json(mean_std(a.probe_audio))},
                    {"probe_visual", avtune::to_json(mean_std(a.probe_visual))}, {"per_seed", a.joint},
                    {"per_seed_probe_audio", a.probe_audio}, {"per_seed_probe_visual", a.probe_visual}});
    if (!a.val.empty()) {
      rows.back()["val_top1"] = avtune::to_json(mean_std(a.val));
      rows.back()["per_seed_val"] = a.val;
    }
  }
  // The FusT setting chosen on validation, reported on test: the same runs as its arm (report/verdicts.h
  // compares it with the baseline).
  json best = nullptr;
  if (best_val >= 0 && static_cast<size_t>(best_val) < rows.size()) {
    json row = rows[static_cast<size_t>(best_val)];
    row["arm"] = "FusT, best on validation (" + arms[static_cast<size_t>(best_val)].name + ")";
    row["key"] = "fust-best-val";
    row["method"] = "fust-best-val";
    row["chosen"] = arms[static_cast<size_t>(best_val)].name;
    best = {{"arm", row["chosen"]}, {"key", arms[static_cast<size_t>(best_val)].key}, {"split", "val"}};
    rows.push_back(std::move(row));
  }
  json scatter = {{"group_names", clip_group_names()}, {"name", json::array()}, {"audio", json::array()},
                  {"visual", json::array()}, {"group", groups}};
  for (const auto& sc : confidences) {
    scatter["name"].push_back(sc.name);
    scatter["audio"].push_back(sc.audio);
    scatter["visual"].push_back(sc.visual);
  }
  return {{"rows", rows}, {"best_on_validation", best}, {"samples", confidences.size()}, {"stage1_top1", stage1_top1},
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

  // The mask files and their summaries here; each arm's name, key and numbers come from stage 2.
  std::vector<std::string> mask_paths(p.arms.size());
  res.arms.resize(p.arms.size());
  for (size_t i = 0; i < p.arms.size(); ++i) {
    const auto& arm = p.arms[i];
    if (!arm.masked) continue;
    mask_paths[i] = (root / arm.file).string();
    const auto ratios = mask_ratios(arm.rule, res.confidences);
    write_mask_ratios_csv(mask_paths[i], res.confidences, ratios);
    res.arms[i].masks = summarize(ratios);
  }
  shared_files.reset();
  run_fust_stage2(p, s, c, root, mask_paths, res);  // study/fust_stage2.h
  return res;
}

}  // namespace avtune
