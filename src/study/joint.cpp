#include "avtune/study/joint.h"

#include <fmt/format.h>

#include <cmath>

#include "avtune/study/adaptive_seeds.h"
#include "avtune/train/trainer.h"

namespace avtune {

namespace fs = std::filesystem;
using nlohmann::json;

std::pair<double, double> linear_probes(const StudyPlan& p, Scheduler& s, const StudyContext& c, const RunLog& joint,
                                        uint64_t seed) {
  if (joint.pending) {
    s.wait(joint.dir + " (its linear probes need the finished run)");
    return {std::nan(""), std::nan("")};
  }
  const std::string ckpt = (fs::path(joint.dir) / RunFiles::kLast).string();
  double out[2];
  int k = 0;
  for (const std::string mod : {"audio", "visual"}) {
    auto cfg = study_run(p, c, fs::path(joint.dir) / ("probe-" + mod), p.probe_epochs, p.probe_lr, p.probe_wd, seed);
    cfg.model = {{"modality", mod}, {"width", p.width}, {"init", ckpt}, {"freeze_encoder", true}};
    cfg.data = av_data(p, c);
    out[k++] = s.cached(cfg).last;
  }
  return {out[0], out[1]};
}

json JointResult::to_json() const {
  json rows_j = json::array();
  for (const auto& r : rows)
    rows_j.push_back({{"audio_init", r.audio_init}, {"joint_top1", avtune::to_json(mean_std(r.joint))},
                      {"probe_audio", avtune::to_json(mean_std(r.probe_audio))},
                      {"probe_visual", avtune::to_json(mean_std(r.probe_visual))}, {"per_seed", r.joint},
                      {"per_seed_probe_audio", r.probe_audio}, {"per_seed_probe_visual", r.probe_visual}});
  return {{"visual_init", "same-modality pre-trained (visual source)"}, {"rows", rows_j}};
}

JointResult run_joint(const StudyPlan& p, Scheduler& s, const StudyContext& c) {
  JointResult res;
  // The findings' comparisons (report/verdicts.h), same-modality (2) vs random (0) audio init: the joint
  // accuracy (metric 0) and the visual encoder's probe (metric 2).
  const std::vector<ArmComparison> comparisons = {{2, 0, 0}, {2, 0, 2}};
  const auto run = [&](size_t i, int k) {
    const auto& init = p.joint_inits[i];
    auto cfg = study_run(p, c, c.out / "joint" / fmt::format("a{}-seed{}", i, k), p.joint_epochs, p.ft_lr, p.ft_wd,
                         p.seed.joint + static_cast<uint64_t>(k));
    cfg.model = {{"modality", "av"}, {"width", p.width}, {"audio_init", c.init_spec(init.source, init.conv1)},
                 {"visual_init", c.source_checkpoint("visual")}};
    cfg.data = av_data(p, c);
    const auto r = s.cached(cfg);
    const auto [a, v] = linear_probes(p, s, c, r, p.seed.joint_probe + static_cast<uint64_t>(k));
    return std::vector<double>{r.last, a, v};
  };
  const auto values = run_adaptive_arms(s, std::vector<int>(p.joint_inits.size(), p.seeds), 3, comparisons,
                                        {p.max_seeds, p.min_effect}, run);
  for (size_t i = 0; i < p.joint_inits.size(); ++i)
    res.rows.push_back({p.joint_inits[i].name, values[i][0], values[i][1], values[i][2]});
  return res;
}

}  // namespace avtune
