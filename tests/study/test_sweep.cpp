// `avtune sweep`'s parts without training: the grid, random draws, the choice on validation, best.json,
// and the search's stages with a fake trainer whose validation and test figures disagree.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "avtune/study/sweep.h"
#include "avtune/study/work_claim.h"
#include "avtune/train/trainer.h"
#include "avtune/util/error.h"
#include "../test_support.h"

namespace avtune {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(SweepGrid, DefaultGridHasSixteenSettingsInOrder) {
  const auto s = enumerate_sweep_grid(parse_sweep_grid(kDefaultSweepGrid));
  ASSERT_EQ(s.size(), 16u);  // 2 rules x 2 mean modes x 2 tau x 1 eta x 2 rho
  EXPECT_EQ(s.front().rule, MaskRule::Reference);
  EXPECT_FALSE(s.front().mean_mode);
  EXPECT_DOUBLE_EQ(s.front().tau, 0.5);
  EXPECT_DOUBLE_EQ(s.front().rho_audio, 0.15);
  EXPECT_DOUBLE_EQ(s[1].rho_audio, 0.5);  // rho varies fastest
  EXPECT_EQ(s.back().rule, MaskRule::Symmetric);
  EXPECT_TRUE(s.back().mean_mode);
  EXPECT_DOUBLE_EQ(s.back().tau, 0.7);
  EXPECT_DOUBLE_EQ(s.back().rho_visual, 0.5);  // "rho" ties the two modalities
  std::set<std::string> keys;
  for (const auto& r : s) keys.insert(sweep_key(r));
  EXPECT_EQ(keys.size(), s.size());
}

TEST(SweepGrid, SeparateEtaRhoAndTheReferenceRulesUnusedVisualValues) {
  const auto sym = enumerate_sweep_grid(parse_sweep_grid("rule=symmetric;mean=off;tau=0.6;eta_a=1,2;eta_v=3,4;rho=0.2"));
  ASSERT_EQ(sym.size(), 4u);
  EXPECT_DOUBLE_EQ(sym[0].eta_audio, 1);
  EXPECT_DOUBLE_EQ(sym[0].eta_visual, 3);
  EXPECT_DOUBLE_EQ(sym[1].eta_visual, 4);
  EXPECT_DOUBLE_EQ(sym[3].eta_audio, 2);
  // The reference rule never masks visual: its eta_v/rho_v lists add no setting.
  const auto ref = enumerate_sweep_grid(parse_sweep_grid("rule=reference;mean=off;tau=0.6;eta_a=1,2;eta_v=3,4;rho_a=0.2;rho_v=0.1,0.3"));
  EXPECT_EQ(ref.size(), 2u);
}

TEST(SweepGrid, BadSpecsNameGridAndTheValue) {
  for (const char* bad : {"tau=0.5,x", "colour=1", "rule=mine", "mean=yes", "tau", "tau=-1"}) {
    try {
      (void)parse_sweep_grid(bad);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("--grid"), std::string::npos) << e.what();
    }
  }
}

TEST(SweepGrid, RandomDrawsAreSeededAndInRange) {
  const auto a = random_sweep_settings(12, 7), b = random_sweep_settings(12, 7), c = random_sweep_settings(12, 8);
  ASSERT_EQ(a.size(), 12u);
  bool differs = false;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(sweep_key(a[i]), sweep_key(b[i]));
    differs |= sweep_key(a[i]) != sweep_key(c[i]);
    EXPECT_GE(a[i].tau, 0.3);
    EXPECT_LE(a[i].tau, 0.9);
    EXPECT_GE(a[i].eta_visual, 0.5);
    EXPECT_LE(a[i].eta_visual, 6);
    EXPECT_GE(a[i].rho_audio, 0.05);
    EXPECT_LE(a[i].rho_audio, 0.8);
  }
  EXPECT_TRUE(differs);
  EXPECT_THROW(random_sweep_settings(0, 1), Error);
}

SweepRow row(bool masked, std::vector<double> val) {
  SweepRow r;
  r.masked = masked;
  r.val = std::move(val);
  return r;
}

TEST(SweepPick, HighestMeanThenSmallerStdThenEarlier) {
  // The baseline (unmasked) is never the choice, however high.
  EXPECT_EQ(pick_sweep_best({row(false, {0.99}), row(true, {0.5}), row(true, {0.7}), row(true, {0.6})}), 2u);
  // Equal means: the smaller spread.
  EXPECT_EQ(pick_sweep_best({row(false, {0.1}), row(true, {0.6, 0.8}), row(true, {0.7, 0.7})}), 2u);
  // Equal means and spreads: the earlier setting.
  EXPECT_EQ(pick_sweep_best({row(false, {0.1}), row(true, {0.7}), row(true, {0.7}), row(true, {0.7})}), 1u);
  // A setting without a number is skipped; none at all is an error.
  EXPECT_EQ(pick_sweep_best({row(true, {std::nan("")}), row(true, {0.2})}), 1u);
  EXPECT_THROW(pick_sweep_best({row(false, {0.9}), row(true, {std::nan("")})}), Error);
}

TEST(SweepBestJson, RoundTripsAndRefusesUnknownKeysAndTypes) {
  MaskRuleConfig r;
  r.rule = MaskRule::Reference;
  r.mean_mode = true;
  r.tau = 0.65;
  r.eta_audio = 1.25;
  r.eta_visual = 4;
  r.rho_audio = 0.15;
  r.rho_visual = 0.3;
  const auto back = mask_rule_from_json(json::parse(to_json(r).dump(2)));
  EXPECT_EQ(back.rule, r.rule);
  EXPECT_EQ(back.mean_mode, r.mean_mode);
  EXPECT_EQ(back.mean_of_clamped, r.mean_of_clamped);
  EXPECT_DOUBLE_EQ(back.tau, r.tau);
  EXPECT_DOUBLE_EQ(back.eta_audio, r.eta_audio);
  EXPECT_DOUBLE_EQ(back.eta_visual, r.eta_visual);
  EXPECT_DOUBLE_EQ(back.rho_audio, r.rho_audio);
  EXPECT_DOUBLE_EQ(back.rho_visual, r.rho_visual);
  EXPECT_EQ(sweep_key(back), sweep_key(r));
  EXPECT_DOUBLE_EQ(mask_rule_from_json(json{{"tau", 0.8}}).eta_audio, MaskRuleConfig{}.eta_audio);  // absent: default
  try {
    (void)mask_rule_from_json(json{{"tua", 0.8}}, "best.json");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tua"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("best.json"), std::string::npos);
  }
  EXPECT_THROW(mask_rule_from_json(json{{"tau", "high"}}), Error);
  EXPECT_THROW(mask_rule_from_json(json{{"rule", "mine"}}), Error);
}

// A fake trainer: each run's last epoch evaluates to the validation top-1 its setting is given here;
// the fake test evaluation returns 1 - that, so choosing on test would pick the worst setting.
struct FakeSweep {
  std::map<std::string, double> val;  // setting key (mask file stem, "baseline") -> val top-1
  std::vector<std::string> trained, tested;
  static std::string key_of(const TrainConfig& c) {
    const std::string m = c.data.value("mask_file", std::string());
    return m.empty() ? "baseline" : fs::path(m).stem().string();
  }
  RunTrainer trainer() {
    return [this](std::vector<TrainConfig> jobs) {
      for (const auto& j : jobs) {
        EXPECT_EQ(j.data.value("eval_split", ""), "val");  // the search never trains against test
        fs::create_directories(j.out_dir);
        std::ofstream(fs::path(j.out_dir) / RunFiles::kLast) << "fake";
        std::ofstream m(fs::path(j.out_dir) / RunFiles::kMetrics);
        for (int64_t e = 1; e <= j.epochs; ++e) m << json{{"epoch", e}, {"eval", {{"top1", val.at(key_of(j))}}}}.dump() << "\n";
        m.close();
        mark_run_complete(j.out_dir);
        trained.push_back(j.out_dir);
      }
    };
  }
  SplitTop1 test() {
    return [this](const TrainConfig& c) {
      tested.push_back(c.out_dir);
      return 1 - val.at(key_of(c));
    };
  }
};

TEST(SweepStages, ChoosesOnValidationAndEvaluatesOnlyTheChoiceOnTest) {
  test::TempDir t;
  const fs::path root = t.file("sweep");
  StudyPlan p = make_plan(true);
  StudyContext c;
  c.out = root;
  c.data_dir = t.file("data");
  c.quiet = true;
  c.fbank["av-fashion"] = {0.0, 1.0};
  for (const std::string mod : {"audio", "visual"}) {  // stage 1's encoders, as the runs' inits
    fs::create_directories(root / "stage1" / mod);
    std::ofstream(root / "stage1" / mod / RunFiles::kLast) << "fake";
  }
  const std::vector<SampleConfidence> conf = {{"a", 0, 0.9, 0.2}, {"b", 1, 0.3, 0.8}, {"c", 2, 0.6, 0.6}};
  SweepSpec spec;
  spec.settings = enumerate_sweep_grid(parse_sweep_grid("rule=symmetric;mean=off;tau=0.5;eta=3;rho=0.1,0.2,0.3"));
  spec.search_seeds = 2;
  spec.test_seeds = 3;
  FakeSweep fake;
  fake.val = {{"baseline", 0.95}, {sweep_key(spec.settings[0]), 0.6}, {sweep_key(spec.settings[1]), 0.8},
              {sweep_key(spec.settings[2]), 0.7}};
  Scheduler s(fake.trainer());
  const auto res = run_sweep_stages(p, spec, s, c, root, conf, fake.test());
  ASSERT_TRUE(res.done);
  ASSERT_EQ(res.rows.size(), 4u);
  EXPECT_EQ(res.rows[res.best].key, sweep_key(spec.settings[1]));  // best on val, worst on test
  // 4 rows x 2 search seeds, then seed 2 of the chosen setting and of the baseline.
  EXPECT_EQ(fake.trained.size(), 10u);
  ASSERT_EQ(fake.tested.size(), 6u);
  for (const auto& d : fake.tested) {
    const std::string name = fs::path(d).filename().string();
    EXPECT_TRUE(name.rfind(sweep_key(spec.settings[1]), 0) == 0 || name.rfind("baseline", 0) == 0) << name;
  }
  ASSERT_EQ(res.test_best.size(), 3u);
  EXPECT_NEAR(res.test_best[0], 0.2, 1e-12);
  EXPECT_NEAR(res.test_baseline[0], 0.05, 1e-12);
  EXPECT_NEAR(res.val_best[2], 0.8, 1e-12);
  EXPECT_TRUE(fs::exists(root / "masks" / (sweep_key(spec.settings[0]) + ".csv")));
  const json j = res.to_json(spec);
  EXPECT_EQ(j["best"]["key"], sweep_key(spec.settings[1]));
  EXPECT_EQ(j["settings"].size(), 4u);
  EXPECT_NEAR(j["test"]["difference"].get<double>(), 0.2 - 0.05, 1e-12);

  // A second sweep over the same folder trains nothing and chooses the same.
  FakeSweep again = fake;
  again.trained.clear();
  Scheduler s2(again.trainer());
  const auto res2 = run_sweep_stages(p, spec, s2, c, root, conf, again.test());
  EXPECT_TRUE(again.trained.empty());
  EXPECT_EQ(s2.runs_trained(), 0);
  EXPECT_EQ(res2.best, res.best);
}

}  // namespace
}  // namespace avtune
