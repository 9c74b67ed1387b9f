// Runs trained side by side give exactly what each gives alone on the same thread count, and one
// failing run neither stops the others nor goes unreported.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "avtune/data/embedded_data.h"
#include "avtune/io/checkpoint.h"
#include "avtune/run/run_pool.h"
#include "avtune/train/trainer.h"
#include "../data/tiny_embedded.h"
#include "../test_support.h"

using namespace avtune;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string tiny_av_data(const test::TempDir& d) {
  auto o = test::tiny_embedded(d.file("data"));
  make_embedded_data(o);
  return (fs::path(o.out_dir) / "av-fashion").string();
}

TrainConfig job(const std::string& root, const std::string& modality, const std::string& out, uint64_t seed) {
  TrainConfig c;
  c.epochs = 2;
  c.batch_size = 8;
  c.optim.lr = 0.05;
  c.seed = seed;
  c.workers = 1;
  c.device = "cpu";
  c.progress = false;
  c.out_dir = out;
  c.model = {{"modality", modality}, {"width", 0.125}};
  c.data = {{"root", root}, {"image_size", 32}, {"audio_frames", 64}, {"mel_bins", 32}};
  return c;
}

std::vector<json> metrics_without_time(const std::string& dir) {
  std::vector<json> out;
  std::ifstream in((fs::path(dir) / RunFiles::kMetrics).string());
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) {
      auto j = json::parse(line);
      // Wall time, speed and memory belong to the process, not to the run's arithmetic.
      for (const char* k : {"seconds", "samples_per_second", "peak_rss_mib", "cuda_peak_allocated_mib"}) j.erase(k);
      out.push_back(j);
    }
  return out;
}

}  // namespace

TEST(RunPool, SideBySideEqualsAloneOnOneThread) {
  test::TempDir d;
  const auto root = tiny_av_data(d);
  std::vector<TrainConfig> pooled, alone;
  const char* mods[] = {"audio", "visual", "av"};
  for (int i = 0; i < 3; ++i) {
    pooled.push_back(job(root, mods[i], d.file(std::string("pool-") + mods[i]), 7 + i));
    alone.push_back(job(root, mods[i], d.file(std::string("alone-") + mods[i]), 7 + i));
  }
  const int outer = torch::get_num_threads();
  RunPoolOptions po;
  po.parallel = 2;
  po.threads_per_run = 1;
  po.quiet = true;
  run_pool(pooled, po);
  EXPECT_EQ(torch::get_num_threads(), outer) << "the pool must restore the caller's thread count";

  torch::set_num_threads(1);
  po.parallel = 1;
  run_pool(alone, po);
  torch::set_num_threads(outer);

  for (int i = 0; i < 3; ++i) {
    const auto a = metrics_without_time(pooled[i].out_dir), b = metrics_without_time(alone[i].out_dir);
    ASSERT_EQ(a.size(), 2u) << mods[i];
    EXPECT_EQ(a, b) << mods[i];
    const auto wa = load_checkpoint((fs::path(pooled[i].out_dir) / RunFiles::kLast).string()).model;
    const auto wb = load_checkpoint((fs::path(alone[i].out_dir) / RunFiles::kLast).string()).model;
    ASSERT_EQ(wa.keys(), wb.keys());
    for (const auto& [k, t] : wa.entries()) EXPECT_TRUE(torch::equal(t, wb.at(k))) << mods[i] << " " << k;
  }
}

TEST(RunPool, AFailingRunIsReportedAfterTheOthersFinish) {
  test::TempDir d;
  const auto root = tiny_av_data(d);
  auto good = job(root, "visual", d.file("good"), 1);
  auto bad = job(root, "visual", d.file("bad"), 1);
  bad.data["root"] = d.file("no-such-data");
  RunPoolOptions po;
  po.parallel = 2;
  po.quiet = true;
  const auto msg = test::error_of([&] { run_pool({bad, good}, po); });
  EXPECT_NE(msg.find(d.file("bad")), std::string::npos) << msg;
  EXPECT_TRUE(fs::exists(fs::path(good.out_dir) / RunFiles::kLast)) << "the good run must still finish";
}
