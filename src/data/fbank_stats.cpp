#include "avtune/data/fbank_stats.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "avtune/util/atomic_file.h"

#include "avtune/data/loader.h"
#include "avtune/util/error.h"
#include "avtune/util/progress.h"

namespace avtune {

FbankStats fbank_statistics(const std::shared_ptr<const Dataset>& ds, int workers, bool progress) {
  LoaderOptions lo;
  lo.batch_size = 32;
  lo.shuffle = false;
  lo.workers = workers;
  DataLoader loader(ds, lo);
  loader.start_epoch(0);
  double sum = 0, sq = 0;
  FbankStats s;
  std::unique_ptr<Progress> bar;
  if (progress) bar = std::make_unique<Progress>("fbank statistics", static_cast<long>(loader.batches_per_epoch()));
  long done = 0;
  while (auto b = loader.next()) {
    if (!b->audio.defined()) fail("fbank-stats", "a data set with audio", "samples without audio");
    // Summed in one fixed order: ATen's reductions split the work by its thread count, and the
    // statistics must not depend on it (a study on 1 or 2 workers gives the same numbers).
    const auto a = b->audio.to(torch::kCPU, torch::kDouble).contiguous();
    const double* v = a.data_ptr<double>();
    for (int64_t i = 0, n = a.numel(); i < n; ++i) {
      sum += v[i];
      sq += v[i] * v[i];
    }
    s.values += a.numel();
    s.clips += b->size();
    if (bar) bar->update(++done);
  }
  if (bar) bar->finish();
  if (s.values == 0) fail("fbank-stats", "at least one clip", "an empty split");
  s.mean = sum / static_cast<double>(s.values);
  s.std = std::sqrt(std::max(0.0, sq / static_cast<double>(s.values) - s.mean * s.mean));
  return s;
}

namespace {
namespace fs = std::filesystem;

std::string default_cache_dir() {
  if (const char* d = std::getenv("AVTUNE_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return (fs::path(x) / "avtune").string();
  if (const char* h = std::getenv("HOME"); h && *h) return (fs::path(h) / ".cache" / "avtune").string();
  return "";
}

// What the numbers depend on: the data set's files (the list's size and time stand for its
// contents) and the input options; any change measures again.
std::string stats_key(const DatasetSpec& spec, const std::string& split, const Dataset& ds) {
  std::error_code ec;
  auto stamp = [&](const std::string& p) {
    if (p.empty() || !fs::exists(p, ec)) return std::string("-");
    const auto t = fs::last_write_time(p, ec).time_since_epoch().count();
    return std::to_string(fs::is_regular_file(p, ec) ? fs::file_size(p, ec) : 0) + "@" + std::to_string(t);
  };
  const auto& a = spec.clip.audio;
  std::string key = "v1|" + spec.format + "|" + fs::absolute(spec.root, ec).string() + "|" + split + "|" + spec.audio_dir + "|" +
                    spec.classes_file + "|" + std::to_string(ds.size()) + "|" + std::to_string(a.target_frames) + "|" +
                    std::to_string(a.fbank.num_mel_bins) + "|" + std::to_string(a.target_sample_rate);
  for (const auto& [sp, file] : spec.lists) key += "|" + sp + "=" + file + ":" + stamp(file);
  for (const char* f : {"_1fps_path.txt", ".csv"}) key += "|" + stamp((fs::path(spec.root) / (split + f)).string());
  key += "|" + stamp((fs::path(spec.root) / "meta" / "esc50.csv").string());
  // The shipped lists of cremad/ave/vggsound/ucf101 (data/shipped_lists.h).
  for (const std::string& f : {split + "Set.txt", std::string("vggsound.csv"), std::string("ucfTrainTestlist/classInd.txt")})
    key += "|" + stamp((fs::path(spec.root) / f).string());
  for (const char* kind : {"train", "test"})
    for (int n = 1; n <= 3; ++n)
      key += "|" + stamp((fs::path(spec.root) / "ucfTrainTestlist" / (kind + std::string("list0") + std::to_string(n) + ".txt")).string());
  return key;
}
}  // namespace

FbankStats cached_fbank_statistics(DatasetSpec spec, const std::string& split, int workers, bool progress, bool* from_cache,
                                   std::string cache_dir) {
  spec.modality = Modality::Audio;
  spec.clip.audio.normalize = false;
  auto ds = open_dataset(spec, split, /*train=*/false);
  if (cache_dir.empty()) cache_dir = default_cache_dir();
  const std::string key = stats_key(spec, split, *ds);
  const fs::path file = cache_dir.empty() ? fs::path() : fs::path(cache_dir) / "fbank-stats" /
                                                             (std::to_string(std::hash<std::string>{}(key)) + ".json");
  if (from_cache) *from_cache = false;
  if (!file.empty()) {
    std::ifstream in(file);
    nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.value("key", std::string()) == key && j.contains("mean") && j.contains("std")) {
      if (from_cache) *from_cache = true;
      return {j["mean"].get<double>(), j["std"].get<double>(), j.value("clips", int64_t{0}), j.value("values", int64_t{0})};
    }
  }
  const FbankStats s = fbank_statistics(ds, workers, progress);
  if (!file.empty()) {
    try {  // a cache that cannot be written (read-only home) only costs the next run the measurement
      std::error_code ec;
      fs::create_directories(file.parent_path(), ec);
      write_file_atomic(file.string(), nlohmann::json{{"key", key}, {"mean", s.mean}, {"std", s.std}, {"clips", s.clips},
                                                      {"values", s.values}}
                                           .dump(2) + "\n");
    } catch (const std::exception&) {
    }
  }
  return s;
}

}  // namespace avtune
