#include <gtest/gtest.h>

#include <fstream>

#include "avtune/study/plan.h"
#include "avtune/study/study.h"
#include "../test_support.h"

namespace avtune {
namespace {

using nlohmann::json;

TEST(Plan, DefaultValuesAreTheStudysOwn) {
  const auto p = make_plan(false);
  EXPECT_FALSE(p.quick);
  EXPECT_EQ(p.seeds, 3);
  EXPECT_EQ(p.cross_seeds, 5);
  EXPECT_EQ(p.max_seeds, 7);  // seeds where the doubt is: up to 7 per arm
  EXPECT_DOUBLE_EQ(p.min_effect, 0.02);
  EXPECT_DOUBLE_EQ(p.width, 0.25);
  EXPECT_EQ(p.batch, 32);
  EXPECT_EQ(p.audio_frames, 200);
  EXPECT_EQ(p.pre_visual_epochs, 5);
  EXPECT_EQ(p.pre_audio_epochs, 30);
  EXPECT_DOUBLE_EQ(p.pre_audio_lr, 0.03);
  EXPECT_EQ(p.ft_epochs, 5);
  EXPECT_DOUBLE_EQ(p.ft_lr, 0.05);
  EXPECT_EQ(p.diag_thresholds, (std::vector<double>{2e-5, 1e-2}));
  EXPECT_EQ(p.data.av_train, EmbeddedDataOptions().av_train);
  // Seed bases per stage: run s of a stage uses base + s.
  EXPECT_EQ(p.seed.pretrain_visual, 1u);
  EXPECT_EQ(p.seed.pretrain_audio, 2u);
  EXPECT_EQ(p.seed.cross_modal, 100u);
  EXPECT_EQ(p.seed.joint, 200u);
  EXPECT_EQ(p.seed.joint_probe, 300u);
  EXPECT_EQ(p.seed.fust_stage1, 400u);
  EXPECT_EQ(p.seed.fust_stage2, 500u);
  EXPECT_EQ(p.seed.fust_probe, 600u);
  ASSERT_EQ(p.variants.size(), 6u);
  EXPECT_EQ(p.variants[1].name, "pre-trained");
  EXPECT_EQ(p.variants[5].model["bn_reset_threshold"].get<double>(), 1e-2);
  ASSERT_EQ(p.arms.size(), 7u);
  EXPECT_FALSE(p.arms[0].masked);
  EXPECT_EQ(p.arms[1].rule.rule, MaskRule::Reference);
  EXPECT_TRUE(p.arms[3].rule.mean_mode);
  EXPECT_EQ(p.arms[3].rule.rule, MaskRule::Reference);  // the paper's mean mode
  // Run folders stage2-<key>-seed<k>: the first four keep the folders earlier studies cached.
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(p.arms[i].key, std::to_string(i));
    EXPECT_TRUE(p.arms[i].train.empty());
  }
  // The balancing baselines (issue 19), unmasked, at their documented defaults (docs/balancing.md).
  EXPECT_EQ(p.arms[4].key, "ogm-ge");
  EXPECT_EQ(p.arms[4].train, json({{"balance", "ogm-ge"}, {"balance_alpha", 0.1}}));
  EXPECT_EQ(p.arms[5].key, "opm");
  EXPECT_EQ(p.arms[5].train, json({{"balance", "opm"}, {"balance_alpha", 0.1}, {"opm_q_base", 0.5}, {"opm_p_exe", 0.7}}));
  EXPECT_EQ(p.arms[6].key, "umt");
  EXPECT_EQ(p.arms[6].train, json({{"balance", "umt"}, {"umt_weight", 1.0}}));
  for (size_t i = 4; i < 7; ++i) EXPECT_FALSE(p.arms[i].masked) << i;
}

TEST(Plan, QuickShrinksTheSizes) {
  const auto p = make_plan(true);
  EXPECT_TRUE(p.quick);
  EXPECT_EQ(p.pre_visual_epochs, 1);
  EXPECT_EQ(p.pre_audio_epochs, 2);
  EXPECT_EQ(p.ft_epochs, 2);
  EXPECT_EQ(p.joint_epochs, 2);
  EXPECT_EQ(p.s1_epochs, 2);
  EXPECT_EQ(p.s2_epochs, 2);
  EXPECT_EQ(p.probe_epochs, 1);
  EXPECT_EQ(p.audio_frames, 128);
  EXPECT_EQ(p.data.av_train, EmbeddedDataOptions::quick().av_train);
  EXPECT_EQ(p.cross_seeds, p.seeds);  // --quick: cross-modal seeds default to --seeds
}

TEST(Plan, MeanModeArmOnlyWithFull) {
  StudyOptions o;
  auto p = study_plan(o);
  ASSERT_EQ(p.arms.size(), 6u);  // baseline, reference, symmetric, OGM-GE, OPM, UMT
  EXPECT_EQ(p.arms[2].name, "FusT, symmetric rule");  // the findings' arm 2
  EXPECT_EQ(p.arms[3].key, "ogm-ge");
  for (const auto& a : p.arms) EXPECT_FALSE(a.rule.mean_mode) << a.name;
  o.full = true;
  p = study_plan(o);
  ASSERT_EQ(p.arms.size(), 7u);
  EXPECT_TRUE(p.arms[3].rule.mean_mode);
  EXPECT_EQ(p.arms[3].key, "3");  // the folders earlier studies cached
}

TEST(Plan, FustSettingAddsAnArm) {
  test::TempDir t;
  std::ofstream(t.file("best.json")) << R"({"rule": "reference", "mean_mode": false, "tau": 0.7, "eta_audio": 3,
    "eta_visual": 3, "rho_audio": 0.5, "rho_visual": 0.5})";
  StudyOptions o;
  o.fust_setting = t.file("best.json");
  const auto p = study_plan(o);
  ASSERT_EQ(p.arms.size(), 7u);
  const auto& a = p.arms.back();
  EXPECT_TRUE(a.masked);
  EXPECT_EQ(a.rule.rule, MaskRule::Reference);
  EXPECT_DOUBLE_EQ(a.rule.tau, 0.7);
  EXPECT_TRUE(a.train.empty());  // a FusT arm: a candidate of the best-on-validation row
  EXPECT_EQ(a.key.rfind("setting-", 0), 0u) << a.key;
  EXPECT_EQ(a.file, "ratios-" + a.key + ".csv");
  EXPECT_NE(a.name.find("best.json"), std::string::npos) << a.name;
  std::ofstream(t.file("bad.json")) << "[1, 2]";
  o.fust_setting = t.file("bad.json");
  const std::string e = test::error_of([&] { study_plan(o); });
  EXPECT_NE(e.find("--fust-setting"), std::string::npos) << e;
  EXPECT_NE(e.find("bad.json"), std::string::npos) << e;
  std::ofstream(t.file("typo.json")) << R"({"tua": 0.7})";
  o.fust_setting = t.file("typo.json");
  EXPECT_NE(test::error_of([&] { study_plan(o); }).find("tua"), std::string::npos);
}

TEST(Plan, SeedsFollowTheOptions) {
  StudyOptions o;
  o.seeds = 2;
  EXPECT_EQ(study_plan(o).cross_seeds, 4);
  o.quick = true;
  EXPECT_EQ(study_plan(o).cross_seeds, 2);
  o.cross_seeds = 7;
  EXPECT_EQ(study_plan(o).cross_seeds, 7);
  EXPECT_EQ(study_plan(o).max_seeds, 8);  // quick: the larger planned count + 1
  o.max_seeds = 9;
  EXPECT_EQ(study_plan(o).max_seeds, 9);
  o.max_seeds = -1;
  EXPECT_NE(test::error_of([&] { study_plan(o); }).find("--max-seeds"), std::string::npos);
  o.max_seeds = 0;
  o.seeds = 0;
  EXPECT_NE(test::error_of([&] { study_plan(o); }).find("--seeds"), std::string::npos);
}

TEST(Plan, KeepsTheKeysOfTheEarlierFlatPlan) {
  const json j = to_json(make_plan(false));
  const json earlier = {{"width", 0.25}, {"batch", 32}, {"audio_frames", 200}, {"mel_bins", 40}, {"image_size", 32},
                        {"pre_visual_epochs", 5}, {"pre_audio_epochs", 30}, {"pre_lr", 0.1}, {"pre_audio_lr", 0.03},
                        {"pre_visual_weight_decay", 5e-3}, {"pre_audio_weight_decay", 1e-2}, {"pre_batch", 32},
                        {"finetune_epochs", 5}, {"joint_epochs", 5}, {"probe_epochs", 1}, {"stage1_epochs", 5},
                        {"stage2_epochs", 5}, {"finetune_lr", 0.05}, {"abnormal_threshold", 1e-2}};
  for (auto it = earlier.begin(); it != earlier.end(); ++it) {
    ASSERT_TRUE(j.contains(it.key())) << it.key();
    EXPECT_EQ(j[it.key()], it.value()) << it.key();
  }
}

TEST(Plan, JsonRoundTrip) {
  for (bool quick : {false, true}) {
    StudyPlan p = make_plan(quick);
    set_seeds(p, 2, 3);
    p.ft_lr = 0.07;
    p.seed.joint = 250;
    p.variants.pop_back();
    p.arms[2].rule.tau = 0.25;
    p.arms[5].train["opm_p_exe"] = 0.5;
    const json j = to_json(p);
    const StudyPlan back = plan_from_json(json::parse(j.dump()));
    EXPECT_EQ(to_json(back), j);
    EXPECT_EQ(back.quick, quick);
    EXPECT_EQ(back.cross_seeds, 3);
    EXPECT_DOUBLE_EQ(back.ft_lr, 0.07);
    EXPECT_EQ(back.seed.joint, 250u);
    EXPECT_EQ(back.variants.size(), 5u);
    EXPECT_DOUBLE_EQ(back.arms[2].rule.tau, 0.25);
    EXPECT_EQ(back.arms[1].rule.rule, MaskRule::Reference);
    EXPECT_DOUBLE_EQ(back.arms[5].train["opm_p_exe"].get<double>(), 0.5);
    EXPECT_EQ(back.arms[6].key, "umt");
  }
}

TEST(Plan, AbsentKeysKeepTheDefaults) {
  const StudyPlan p = plan_from_json({{"finetune_epochs", 9}});
  EXPECT_EQ(p.ft_epochs, 9);
  EXPECT_EQ(p.pre_audio_epochs, 30);
  EXPECT_EQ(p.arms.size(), 7u);
}

TEST(Plan, UnknownKeysAndWrongTypesNameTheKey) {
  EXPECT_NE(test::error_of([] { plan_from_json({{"finetune_epoch", 9}}); }).find("finetune_epoch"), std::string::npos);
  EXPECT_NE(test::error_of([] { plan_from_json({{"seed_bases", {{"jiont", 1}}}}); }).find("seed_bases.jiont"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { plan_from_json({{"finetune_lr", "fast"}}); }).find("finetune_lr"), std::string::npos);
  EXPECT_NE(test::error_of([] { plan_from_json({{"finetune_epochs", 2.5}}); }).find("finetune_epochs"), std::string::npos);
  const std::string e = test::error_of([] { plan_from_json({{"fust_arms", {{{"name", 3}}}}}); });
  EXPECT_NE(e.find("fust_arms[0].name"), std::string::npos) << e;
}

}  // namespace
}  // namespace avtune
