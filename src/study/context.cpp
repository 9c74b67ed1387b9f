#include "avtune/study/context.h"

#include <algorithm>
#include <fstream>

#include "avtune/data/dataset_spec.h"
#include "avtune/data/fbank_stats.h"
#include "avtune/plot/run_figures.h"
#include "avtune/run/run_pool.h"
#include "avtune/study/work_claim.h"
#include "avtune/train/trainer.h"
#include "avtune/util/atomic_file.h"
#include "avtune/util/runtime.h"

namespace avtune {

namespace fs = std::filesystem;
using nlohmann::json;

std::string StudyContext::av_root() const { return (fs::path(data_dir) / "av-fashion").string(); }

std::string StudyContext::source_checkpoint(const std::string& which) const {
  return (out / "pretrain" / which / RunFiles::kLast).string();
}

std::string StudyContext::init_spec(const std::string& source, const std::string& conv1) const {
  if (source == "random") return "random";
  return source_checkpoint(source) + (conv1.empty() ? "" : ":conv1=" + conv1);
}

double ensure_study_data(const StudyPlan& p, const StudyContext& c) {
  StudyLock lock(c.out);
  if (fs::exists(fs::path(c.data_dir) / "README.md")) return -1;
  EmbeddedDataOptions d = p.data;
  d.out_dir = c.data_dir;
  d.quiet = c.quiet;
  d.workers = c.workers;
  return make_embedded_data(d).seconds;
}

json study_fbank_stats(const StudyPlan& p, StudyContext& c, bool fresh) {
  StudyLock lock(c.out);  // the first worker computes, the others read its cache
  json all;
  for (const std::string key : {"av-fashion", "spoken-words"}) {
    const fs::path cache = c.out / ("fbank-stats-" + key + ".json");
    json j;
    if (fs::exists(cache) && !fresh) {
      std::ifstream in(cache);
      j = json::parse(in);
    } else {
      DatasetSpec spec;
      spec.root = (fs::path(c.data_dir) / key).string();
      spec.modality = Modality::Audio;
      spec.clip.audio.target_frames = p.audio_frames;
      spec.clip.audio.fbank.num_mel_bins = p.mel_bins;
      spec.clip.audio.normalize = false;
      const auto st = fbank_statistics(open_dataset(spec, "train", false), c.workers, false);
      j = {{"mean", st.mean}, {"std", st.std}, {"clips", st.clips}};
      fs::create_directories(c.out);
      write_file_atomic(cache.string(), j.dump(2) + "\n");
    }
    c.fbank[key] = {j["mean"].get<double>(), j["std"].get<double>()};
    all[key] = j;
  }
  return all;
}

RunPoolOptions study_pool_options(int parallel, const std::string& device, bool quiet, const std::string& label) {
  RunPoolOptions po;
  po.parallel = parallel > 0 ? parallel : (resolve_device(device).is_cuda() ? 1 : torch::get_num_threads());
  po.threads_per_run = std::max(1, torch::get_num_threads() / po.parallel);
  po.quiet = quiet;
  po.label = label;
  // Each run's own figures, as a run trained from the CLI has them (a run draws none itself).
  po.after_run = [](const TrainConfig& c, const RunOutcome& out) {
    write_run_figures(c.out_dir, out.kind, out.result.log, out.alpha_names(), out.alpha_means());
    mark_run_complete(c.out_dir);
  };
  return po;
}

json av_data(const StudyPlan& p, const StudyContext& c, const std::string& mask_file) {
  json d = {{"root", c.av_root()}, {"format", "ks"}, {"eval_split", "test"}, {"image_size", p.image_size},
            {"audio_frames", p.audio_frames}, {"mel_bins", p.mel_bins},
            {"fbank_mean", c.fbank.at("av-fashion").first}, {"fbank_std", c.fbank.at("av-fashion").second}};
  if (!mask_file.empty()) d["mask_file"] = mask_file;
  return d;
}

TrainConfig study_run(const StudyPlan& p, const StudyContext& c, const fs::path& dir, int64_t epochs, double lr,
                      double wd, uint64_t seed) {
  TrainConfig t;
  t.epochs = epochs;
  t.batch_size = p.batch;
  t.optim.kind = "sgd";
  t.optim.lr = lr;
  t.optim.momentum = p.momentum;
  t.optim.weight_decay = wd;
  t.schedule.kind = "cosine";
  t.seed = seed;
  t.workers = c.workers;
  t.device = c.device;
  t.out_dir = dir.string();
  t.progress = !c.quiet;
  return t;
}

MeanStd mean_std(const std::vector<double>& v) {
  MeanStd m;
  m.n = v.size();
  if (v.empty()) return m;
  double s = 0;
  for (double x : v) s += x;
  m.mean = s / static_cast<double>(v.size());
  double q = 0;
  for (double x : v) q += (x - m.mean) * (x - m.mean);
  m.std = v.size() > 1 ? std::sqrt(q / static_cast<double>(v.size() - 1)) : 0.0;
  return m;
}

json to_json(const MeanStd& m) { return {{"mean", m.mean}, {"std", m.std}, {"n", m.n}}; }

json mean_curve_json(const std::vector<std::vector<double>>& per_seed) {
  size_t n = per_seed.empty() ? 0 : per_seed.front().size();
  for (const auto& c : per_seed) n = std::min(n, c.size());
  json j = {{"epoch", json::array()}, {"mean", json::array()}, {"std", json::array()}, {"n", per_seed.size()}};
  for (size_t e = 0; e < n; ++e) {
    std::vector<double> v;
    for (const auto& c : per_seed) v.push_back(c[e]);
    const auto m = mean_std(v);
    j["epoch"].push_back(e + 1);
    j["mean"].push_back(m.mean);
    j["std"].push_back(m.n > 1 ? m.std : 0.0);
  }
  return j;
}

}  // namespace avtune
