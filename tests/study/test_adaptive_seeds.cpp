// Seeds where the doubt is, with fake runs: the fake trainer writes each run's metrics.jsonl with a
// hand-picked accuracy per (arm, seed), so these tests check which arms get seeds, when adding stops,
// the cap, and that a rerun reads every added seed back from the cache and trains nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "avtune/report/interval.h"
#include "avtune/study/adaptive_seeds.h"
#include "avtune/study/work_claim.h"
#include "avtune/train/trainer.h"
#include "../test_support_base.h"

namespace avtune {
namespace {

namespace fs = std::filesystem;

// Accuracy of seed k of arm a (the run directory "a<a>-seed<k>").
// Arm 0 against arm 1: open after 3, 4 and 5 seeds, settled (excludes zero) after 6 (checked below).
const std::map<int, std::vector<double>> kValues = {
    {0, {0.60, 0.20, 0.50, 0.55, 0.50, 0.52, 0.51, 0.53, 0.52, 0.50}},
    {1, {0.30, 0.31, 0.29, 0.30, 0.30, 0.31, 0.30, 0.29, 0.30, 0.31}},
    {2, {0.90, 0.10, 0.50, 0.40, 0.60, 0.70, 0.30, 0.20, 0.80, 0.50}},  // compared with nothing
};

struct FakeTrainer {
  std::vector<std::vector<std::string>> calls;  // each pass's run directories
  RunTrainer fn() {
    return [this](std::vector<TrainConfig> jobs) {
      std::vector<std::string> dirs;
      for (const auto& j : jobs) {
        const std::string name = fs::path(j.out_dir).filename().string();  // a<arm>-seed<k>
        const int arm = std::stoi(name.substr(1, name.find('-') - 1)), k = std::stoi(name.substr(name.rfind("seed") + 4));
        fs::create_directories(j.out_dir);
        std::ofstream(fs::path(j.out_dir) / RunFiles::kLast) << "fake";
        std::ofstream(fs::path(j.out_dir) / RunFiles::kMetrics)
            << "{\"epoch\": 1, \"seconds\": 1, \"eval\": {\"top1\": " << kValues.at(arm).at(k) << "}}\n";
        mark_run_complete(j.out_dir);
        dirs.push_back(name);
      }
      calls.push_back(dirs);
    };
  }
};

using Values = std::vector<std::vector<std::vector<double>>>;

// Arms 0, 1, 2 with 3 planned seeds each, arm 0 compared with arm 1, runs under <t>/<group>.
Values group(Scheduler& s, const test::TempDir& t, int max_seeds, const std::string& name = "") {
  return run_adaptive_arms(s, {3, 3, 3}, 1, {{0, 1, 0}}, {max_seeds, 0.02}, [&](size_t arm, int k) {
    TrainConfig c;
    c.out_dir = t.file(name + "a" + std::to_string(arm) + "-seed" + std::to_string(k));
    c.epochs = 1;
    return std::vector<double>{s.cached(c).last};
  });
}

Values study(Scheduler& s, const test::TempDir& t, int max_seeds) {
  Values values;
  s.stage("adaptive", [&] { values = group(s, t, max_seeds); });
  return values;
}

TEST(AdaptiveSeeds, ArmsOfOpenComparisonsGetSeedsUntilTheIntervalExcludesZero) {
  // The numbers behind the expectation: the interval of arm 0 - arm 1 contains zero with 3..5 seeds, not with 6.
  for (size_t n = 3; n <= 6; ++n) {
    const std::vector<double> a(kValues.at(0).begin(), kValues.at(0).begin() + n),
        b(kValues.at(1).begin(), kValues.at(1).begin() + n);
    EXPECT_EQ(welch_interval(a, b).contains_zero(), n < 6) << n << " seeds";
  }
  test::TempDir t;
  FakeTrainer fake;
  Scheduler s(fake.fn());
  const auto v = study(s, t, 8);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0][0].size(), 6u);
  EXPECT_EQ(v[1][0].size(), 6u);
  EXPECT_EQ(v[2][0].size(), 3u);  // in no comparison: its planned seeds only
  EXPECT_DOUBLE_EQ(v[0][0][5], 0.52);
  // Pass 1 trains the planned 9 runs; each later pass one more seed of arms 0 and 1.
  ASSERT_EQ(fake.calls.size(), 4u);
  EXPECT_EQ(fake.calls[0].size(), 9u);
  EXPECT_EQ(fake.calls[1], (std::vector<std::string>{"a0-seed3", "a1-seed3"}));
  EXPECT_EQ(fake.calls[3], (std::vector<std::string>{"a0-seed5", "a1-seed5"}));
  EXPECT_EQ(s.runs_trained(), 15);
}

TEST(AdaptiveSeeds, TheCapStopsAnOpenComparison) {
  test::TempDir t;
  FakeTrainer fake;
  Scheduler s(fake.fn());
  const auto v = study(s, t, 4);
  EXPECT_EQ(v[0][0].size(), 4u);
  EXPECT_EQ(v[1][0].size(), 4u);
  EXPECT_TRUE(welch_interval(v[0][0], v[1][0]).contains_zero());  // still open: the budget is spent
  EXPECT_EQ(s.runs_trained(), 11);
  // A cap at the planned seeds adds none.
  test::TempDir t2;
  FakeTrainer fake2;
  Scheduler s2(fake2.fn());
  EXPECT_EQ(study(s2, t2, 3)[0][0].size(), 3u);
  EXPECT_EQ(s2.runs_trained(), 9);
}

TEST(AdaptiveSeeds, ARerunReadsTheAddedSeedsBackAndTrainsNothing) {
  test::TempDir t;
  FakeTrainer fake;
  Scheduler s(fake.fn());
  const auto first = study(s, t, 8);
  FakeTrainer again;
  Scheduler s2(again.fn());
  const auto second = study(s2, t, 8);
  EXPECT_TRUE(again.calls.empty());
  EXPECT_EQ(second, first);
  EXPECT_EQ(s2.runs_total(), 15u);
}

TEST(AdaptiveSeeds, TwoGroupsOfAStageAddTheirSeedsInTheSamePasses) {
  test::TempDir t;
  FakeTrainer fake;
  Scheduler s(fake.fn());
  Values x, y;
  s.stage("two", [&] {
    x = group(s, t, 8, "x/");
    y = group(s, t, 8, "y/");  // not held back by x's pending runs
  });
  EXPECT_EQ(x[0][0].size(), 6u);
  EXPECT_EQ(y[0][0].size(), 6u);
  ASSERT_EQ(fake.calls.size(), 4u);  // as many training passes as one group alone
  EXPECT_EQ(fake.calls[1].size(), 4u);
  EXPECT_EQ(s.runs_trained(), 30);
}

TEST(AdaptiveSeeds, ArmsNeedingSeeds) {
  const std::vector<std::vector<std::vector<double>>> v = {
      {{0.60, 0.20, 0.50}}, {{0.30, 0.31, 0.29}}, {{0.70, 0.71, 0.72}}, {{0.10, 0.11, 0.12}}};
  const SeedPolicy p{5, 0.02};
  EXPECT_EQ(arms_needing_seeds(v, {{0, 1, 0}}, p), (std::vector<size_t>{0, 1}));  // open
  EXPECT_TRUE(arms_needing_seeds(v, {{2, 3, 0}}, p).empty());                      // settled
  EXPECT_EQ(arms_needing_seeds(v, {{2, 3, 0}, {1, 0, 0}}, p), (std::vector<size_t>{0, 1}));
  EXPECT_TRUE(arms_needing_seeds(v, {{0, 1, 0}}, {3, 0.02}).empty());  // at the cap
  EXPECT_TRUE(arms_needing_seeds(v, {{0, 1, 0}}, {5, 2.0}).empty());   // the whole interval is under min_effect
  EXPECT_TRUE(arms_needing_seeds(v, {{0, 9, 0}}, p).empty());          // an arm that does not exist
}

}  // namespace
}  // namespace avtune
