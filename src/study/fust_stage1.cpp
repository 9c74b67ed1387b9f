#include "avtune/study/fust_stage1.h"

#include "avtune/data/dataset.h"
#include "avtune/run/training_run.h"
#include "avtune/study/work_claim.h"
#include "avtune/train/trainer.h"

namespace avtune {

namespace fs = std::filesystem;

std::string fust_stage1_checkpoint(const fs::path& root, const std::string& mod) {
  return (root / "stage1" / mod / RunFiles::kLast).string();
}

FustStage1 run_fust_stage1(const StudyPlan& p, Scheduler& s, const StudyContext& c, const fs::path& root) {
  FustStage1 res;
  for (const std::string mod : {"audio", "visual"}) {
    auto cfg = study_run(p, c, root / "stage1" / mod, p.s1_epochs, p.ft_lr, p.ft_wd, p.seed.fust_stage1);
    cfg.model = {{"modality", mod}, {"width", p.width}, {"init", c.source_checkpoint(mod)}};
    cfg.data = av_data(p, c);
    cfg.record_confidences = true;
    res.top1[mod] = s.cached(cfg).last;
  }
  if (s.pass_pending()) return res;  // stage 2 needs stage 1's confidences and checkpoints
  res.done = true;

  StudyLock lock(c.out);
  std::map<std::string, std::map<std::string, std::vector<float>>> conf;
  for (const std::string mod : {"audio", "visual"})
    conf[mod] = read_run_confidences((root / "stage1" / mod / RunFiles::kConfidences).string());
  auto ds = open_dataset(dataset_spec_from(resolved_data(av_data(p, c)), Modality::AV), "train", false);
  std::map<std::string, int64_t> labels;
  for (size_t i = 0; i < ds->size(); ++i) labels[ds->name_of(i)] = ds->label_of(i);
  res.confidences = join_confidences(conf["audio"], conf["visual"], labels);
  write_confidences_csv((root / "stage1" / "confidences.csv").string(), res.confidences);
  return res;
}

}  // namespace avtune
