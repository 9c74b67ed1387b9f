#include "avtune/study/cross_modal.h"

#include <fmt/format.h>

#include "avtune/study/adaptive_seeds.h"
#include "avtune/study/diagnosis.h"
#include "avtune/train/trainer.h"

namespace avtune {

namespace fs = std::filesystem;
using nlohmann::json;

json CrossModalResult::to_json() const {
  json out = json::object();
  for (const auto& d : directions) {
    json rows = json::array();
    for (const auto& r : d.rows)
      rows.push_back({{"variant", r.variant}, {"test_top1", avtune::to_json(mean_std(r.finals))}, {"per_seed", r.finals},
                      {"curve", mean_curve_json(r.curves)}});
    out[d.direction.key] = {{"title", d.direction.title}, {"source", d.direction.source},
                            {"modality", d.direction.modality}, {"rows", rows}};
  }
  return out;
}

json CrossModalResult::diagnosis_json() const {
  json out = json::object();
  for (const auto& d : directions)
    if (d.after) out["after_" + d.direction.key] = diagnosis_entry(*d.after, d.direction.title + ", after plain fine-tuning");
  return out;
}

CrossModalResult run_cross_modal(const StudyPlan& p, Scheduler& s, const StudyContext& c) {
  CrossModalResult res;
  // The findings' comparisons (report/verdicts.h): pre-trained (1) vs random (0), ABRi per layer (2) vs pre-trained (1).
  const std::vector<ArmComparison> comparisons = {{1, 0, 0}, {2, 1, 0}};
  for (const auto& d : p.directions) {
    CrossModalDirectionResult dr;
    dr.direction = d;
    std::string after_ckpt;  // the plain pre-trained arm's first seed
    std::vector<std::vector<std::vector<double>>> curves(p.variants.size());
    const auto run = [&](size_t vi, int k) {
      const auto& v = p.variants[vi];
      auto cfg = study_run(p, c, c.out / "cross-modal" / d.key / fmt::format("v{}-seed{}", vi, k), p.ft_epochs, p.ft_lr,
                           p.ft_wd, p.seed.cross_modal + static_cast<uint64_t>(k));
      cfg.model = {{"modality", d.modality}, {"width", p.width}, {"init", c.init_spec(d.source, d.conv1)}};
      for (auto it = v.model.begin(); it != v.model.end(); ++it) cfg.model[it.key()] = it.value();
      cfg.data = av_data(p, c);
      const auto r = s.cached(cfg);
      curves[vi].push_back(r.top1);
      if (vi == 1 && k == 0) after_ckpt = (fs::path(r.dir) / RunFiles::kLast).string();
      return std::vector<double>{r.last};
    };
    const auto values = run_adaptive_arms(s, std::vector<int>(p.variants.size(), p.cross_seeds), 1, comparisons,
                                          {p.max_seeds, p.min_effect}, run);
    for (size_t vi = 0; vi < p.variants.size(); ++vi)
      dr.rows.push_back({p.variants[vi].name, values[vi][0], curves[vi]});
    // The after-diagnosis needs finished runs; a pass with pending runs leaves it for the next.
    if (!s.pass_pending() && c.results)
      dr.after = diagnose_study_encoder(p, c, after_ckpt, d.prefix, d.modality == "audio" ? Modality::Audio : Modality::Visual);
    res.directions.push_back(std::move(dr));
  }
  return res;
}

}  // namespace avtune
