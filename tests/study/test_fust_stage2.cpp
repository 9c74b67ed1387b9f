// Fusion Tuning's stage 2 with fake runs: the fake trainer writes each run's metrics with a hand-picked
// test top-1 per arm and a fake evaluator answers the validation split, with validation and test
// disagreeing on purpose, so these tests check that the best-on-validation row is chosen from
// validation alone, that the balancing arms start from stage 1 with their method set, and the caching.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "avtune/study/fust_stage2.h"
#include "avtune/study/work_claim.h"
#include "avtune/train/trainer.h"
#include "../test_support_base.h"

namespace avtune {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Test top-1 by arm key: the symmetric rule ("2") is best on test, the reference rule ("1") worst of the FusT arms.
const std::map<std::string, double> kTest = {{"0", 0.60}, {"1", 0.50}, {"2", 0.80}, {"3", 0.55},
                                             {"ogm-ge", 0.62}, {"opm", 0.58}, {"umt", 0.65}};
// Validation top-1: the reference rule is best here, the symmetric rule worst.
const std::map<std::string, double> kVal = {{"1", 0.70}, {"2", 0.30}, {"3", 0.60}};

// "stage2-<key>-seed<k>" -> (key, k).
std::pair<std::string, int> key_of(const std::string& name) {
  const auto s = name.rfind("-seed");
  return {name.substr(7, s - 7), std::stoi(name.substr(s + 5))};
}

struct Fakes {
  std::vector<TrainConfig> trained;
  std::vector<std::pair<std::string, std::string>> evaluated;  // (run folder, split)
  RunTrainer trainer() {
    return [this](std::vector<TrainConfig> jobs) {
      for (const auto& j : jobs) {
        const fs::path dir(j.out_dir);
        const bool probe = dir.filename().string().rfind("probe-", 0) == 0;
        const auto [key, k] = key_of((probe ? dir.parent_path() : dir).filename().string());
        const double top1 = probe ? 0.4 : kTest.at(key) + 0.002 * k;
        fs::create_directories(dir);
        std::ofstream(dir / RunFiles::kLast) << "fake";
        std::ofstream m(dir / RunFiles::kMetrics);
        for (int64_t e = 1; e <= j.epochs; ++e) m << "{\"epoch\": " << e << ", \"eval\": {\"top1\": " << top1 << "}}\n";
        m.close();
        mark_run_complete(j.out_dir);
        trained.push_back(j);
      }
    };
  }
  RunEvaluator evaluator() {
    return [this](const TrainConfig& run, const std::string& split) {
      const std::string name = fs::path(run.out_dir).filename().string();
      evaluated.emplace_back(name, split);
      const auto [key, k] = key_of(name);
      return kVal.at(key) + 0.001 * k;
    };
  }
};

struct Stage2Setup {
  test::TempDir t;
  StudyPlan p = make_plan(false);
  StudyContext c;
  fs::path root;
  std::vector<std::string> masks;
  Stage2Setup() {
    c.out = t.path;
    c.data_dir = t.file("data");
    c.quiet = true;
    c.fbank["av-fashion"] = {0.0, 1.0};
    root = t.path / "fust";
    for (const char* mod : {"audio", "visual"}) {
      fs::create_directories(root / "stage1" / mod);
      std::ofstream(root / "stage1" / mod / RunFiles::kLast) << "fake stage 1";
    }
    masks.resize(p.arms.size());
    for (size_t i = 0; i < p.arms.size(); ++i)
      if (p.arms[i].masked) masks[i] = (root / p.arms[i].file).string();
  }
};

TEST(FustStage2, BestOnValidationIsChosenFromValidationNeverFromTest) {
  Stage2Setup st;
  Fakes fakes;
  Scheduler s(fakes.trainer());
  s.set_evaluator(fakes.evaluator());
  FusionTuningResult res;
  s.stage("fusion tuning", [&] { run_fust_stage2(st.p, s, st.c, st.root, st.masks, res); });
  ASSERT_EQ(res.arms.size(), 7u);
  // The reference rule (arm 1): best on validation although the symmetric rule is best on test.
  EXPECT_EQ(res.best_val, 1);
  ASSERT_EQ(res.arms[1].val.size(), 3u);
  EXPECT_DOUBLE_EQ(res.arms[1].val[0], 0.70);
  EXPECT_NEAR(res.arms[2].val[2], 0.302, 1e-12);
  EXPECT_TRUE(res.arms[0].val.empty());  // the baseline and the balancing arms are no candidates
  EXPECT_TRUE(res.arms[4].val.empty());
  // Only the FusT arms' planned seeds, only on validation: 3 arms x 3 seeds.
  ASSERT_EQ(fakes.evaluated.size(), 9u);
  for (const auto& [dir, split] : fakes.evaluated) {
    EXPECT_EQ(split, "val") << dir;
    const auto key = key_of(dir).first;
    EXPECT_TRUE(key == "1" || key == "2" || key == "3") << dir;
  }
  // Reported on test: the row carries the chosen arm's test numbers, and the comparison with the baseline.
  const json j = res.to_json();
  const json& best = j["rows"].back();
  EXPECT_EQ(best["arm"], "FusT, best on validation (FusT, reference rule)");
  EXPECT_EQ(best["method"], "fust-best-val");
  EXPECT_NEAR(best["joint_top1"]["mean"].get<double>(), 0.502, 1e-12);
  EXPECT_NEAR(best["val_top1"]["mean"].get<double>(), 0.701, 1e-12);
  EXPECT_EQ(j["best_on_validation"]["arm"], "FusT, reference rule");
  EXPECT_EQ(j["rows"][4]["method"], "balance");
  EXPECT_EQ(j["rows"][4]["balance"], "ogm-ge");
  // 7 arms x 3 seeds, each with 2 probes; no seeds added (every comparison's interval excludes zero).
  EXPECT_EQ(fakes.trained.size(), 63u);
  // A rerun trains nothing and makes the same choice (the study's evaluator caches in the run folders:
  // study/split_eval.h).
  Fakes again;
  Scheduler s2(again.trainer());
  s2.set_evaluator(again.evaluator());
  FusionTuningResult res2;
  s2.stage("fusion tuning", [&] { run_fust_stage2(st.p, s2, st.c, st.root, st.masks, res2); });
  EXPECT_TRUE(again.trained.empty());
  EXPECT_EQ(res2.best_val, 1);
  // Without an evaluator the choice cannot be made: an error, never a fallback to test.
  Scheduler s3(again.trainer());
  FusionTuningResult res3;
  EXPECT_NE(test::error_of([&] { s3.stage("f", [&] { run_fust_stage2(st.p, s3, st.c, st.root, st.masks, res3); }); })
                .find("evaluator for the val split"),
            std::string::npos);
}

TEST(FustStage2, BalancingArmsStartFromStageOneWithTheirMethod) {
  Stage2Setup st;
  const std::string a1 = (st.root / "stage1" / "audio" / RunFiles::kLast).string();
  const std::string v1 = (st.root / "stage1" / "visual" / RunFiles::kLast).string();
  for (size_t i = 0; i < st.p.arms.size(); ++i) {
    const auto cfg = fust_stage2_run(st.p, st.c, st.root, i, 1, st.masks[i]);
    // Every arm, baseline included, from the same stage-1 encoders and seed.
    EXPECT_EQ(cfg.model["audio_init"], a1) << i;
    EXPECT_EQ(cfg.model["visual_init"], v1) << i;
    EXPECT_EQ(cfg.seed, st.p.seed.fust_stage2 + 1) << i;
    EXPECT_EQ(cfg.data.contains("mask_file"), st.p.arms[i].masked) << i;
  }
  // The first four arms keep their folders (cached runs of earlier studies are reused).
  EXPECT_EQ(fs::path(fust_stage2_run(st.p, st.c, st.root, 3, 2, st.masks[3]).out_dir).filename(), "stage2-3-seed2");
  const auto ogm = fust_stage2_run(st.p, st.c, st.root, 4, 0, "");
  EXPECT_EQ(fs::path(ogm.out_dir).filename(), "stage2-ogm-ge-seed0");
  EXPECT_EQ(ogm.balance, "ogm-ge");
  EXPECT_DOUBLE_EQ(ogm.balance_alpha, 0.1);
  const auto opm = fust_stage2_run(st.p, st.c, st.root, 5, 0, "");
  EXPECT_EQ(opm.balance, "opm");
  EXPECT_DOUBLE_EQ(opm.opm_q_base, 0.5);
  EXPECT_DOUBLE_EQ(opm.opm_p_exe, 0.7);
  const auto umt = fust_stage2_run(st.p, st.c, st.root, 6, 0, "");
  EXPECT_EQ(umt.balance, "umt");
  EXPECT_EQ(umt.umt_audio_teacher, a1);  // the teachers are stage 1's encoders
  EXPECT_EQ(umt.umt_visual_teacher, v1);
  EXPECT_DOUBLE_EQ(umt.umt_weight, 1.0);
  EXPECT_EQ(fust_stage2_run(st.p, st.c, st.root, 0, 0, "").balance, "none");
  EXPECT_EQ(fust_val_candidates(st.p), (std::vector<size_t>{1, 2, 3}));
}

TEST(FustStage2, BestOnValidationRule) {
  const std::vector<std::vector<double>> val = {{0.9, 0.9}, {0.5, 0.7}, {0.6, 0.6}, {0.2, 0.3}};
  EXPECT_EQ(best_on_validation({1, 2, 3}, val), 1);  // ties (0.6 each) go to the earlier arm; arm 0 is no candidate
  EXPECT_EQ(best_on_validation({2, 3}, val), 2);
  EXPECT_EQ(best_on_validation({}, val), -1);
  EXPECT_EQ(best_on_validation({3}, {{}, {}, {}, {std::nan("")}}), -1);
}

}  // namespace
}  // namespace avtune
