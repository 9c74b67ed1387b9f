#include "avtune/study/pretraining.h"

#include <filesystem>

namespace avtune {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {
json run_json(const SourceRun& r) { return {{"test_top1", r.test_top1}, {"seconds", r.seconds}, {"curve", r.curve}}; }
SourceRun source_run(const RunLog& l) { return {l.last, l.seconds, l.top1}; }
}  // namespace

json PretrainResult::to_json() const { return {{"visual", run_json(visual)}, {"audio", run_json(audio)}}; }

PretrainResult run_pretraining(const StudyPlan& p, Scheduler& s, const StudyContext& c) {
  // A constant rate and decay on every parameter, BN included (decay_exclude off): the long, strongly
  // decayed regime in which BN channels die (the paper's dead-channel analysis; docs/reproduce.md has the measurements).
  auto v = study_run(p, c, c.out / "pretrain" / "visual", p.pre_visual_epochs, p.pre_lr, p.pre_visual_wd,
                     p.seed.pretrain_visual);
  v.schedule.kind = "constant";
  v.batch_size = p.pre_batch;
  v.optim.decay_exclude = false;
  v.model = {{"modality", "visual"}, {"width", p.width}};
  v.data = {{"root", (fs::path(c.data_dir) / "fashion-source").string()}, {"format", "image-folder"},
            {"eval_split", "test"}, {"image_size", p.image_size}};
  const auto lv = s.cached(v);
  auto a = study_run(p, c, c.out / "pretrain" / "audio", p.pre_audio_epochs, p.pre_audio_lr, p.pre_audio_wd,
                     p.seed.pretrain_audio);
  a.schedule.kind = "constant";
  a.batch_size = p.pre_batch;
  a.optim.decay_exclude = false;
  a.model = {{"modality", "audio"}, {"width", p.width}};
  a.data = {{"root", (fs::path(c.data_dir) / "spoken-words").string()}, {"format", "ks"}, {"eval_split", "test"},
            {"audio_frames", p.audio_frames}, {"mel_bins", p.mel_bins},
            {"fbank_mean", c.fbank.at("spoken-words").first}, {"fbank_std", c.fbank.at("spoken-words").second}};
  const auto la = s.cached(a);
  return {source_run(lv), source_run(la)};
}

}  // namespace avtune
