#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "avtune/methods/fusion_masks.h"
#include "avtune/util/error.h"
#include "../test_support.h"

using namespace avtune;

namespace {

MaskRuleConfig rule(MaskRule r) {
  MaskRuleConfig c;
  c.rule = r;
  c.tau = 0.6;
  c.eta_audio = 2.0;
  c.eta_visual = 4.0;
  c.rho_audio = 0.5;
  c.rho_visual = 0.8;
  return c;
}

using test::error_of;

}  // namespace

// Hand-computed: tanh(2 * 0.2) = 0.379949, tanh(4 * 0.3) = 0.833655, tanh(2 * 0.1) = 0.197375.
TEST(FusionMasks, ReferenceRuleAsReleased) {
  const auto c = rule(MaskRule::Reference);
  // Visual confident, audio more so: audio masked by rho_a * tanh(eta_a * (c_a - c_v)).
  auto r = mask_ratio(c, 0.9, 0.7);
  EXPECT_NEAR(r.audio, 0.5 * 0.379949, 1e-6);
  EXPECT_EQ(r.visual, 0.0);
  // Visual confident, audio less so: the tanh is negative -> no mask.
  r = mask_ratio(c, 0.3, 0.7);
  EXPECT_EQ(r.audio, 0.0);
  EXPECT_EQ(r.visual, 0.0);
  // Only audio confident: the released rule computes tanh(eta_v * (c_v - c_a)) < 0 -> visual never masked.
  r = mask_ratio(c, 0.9, 0.6 - 1e-9);
  EXPECT_EQ(r.audio, 0.0);
  EXPECT_EQ(r.visual, 0.0);
  r = mask_ratio(c, 0.95, 0.1);
  EXPECT_EQ(r.visual, 0.0);
  // Neither reaches tau.
  r = mask_ratio(c, 0.55, 0.5);
  EXPECT_EQ(r.audio + r.visual, 0.0);
}

TEST(FusionMasks, SymmetricRuleMasksTheMoreConfidentModality) {
  const auto c = rule(MaskRule::Symmetric);
  auto r = mask_ratio(c, 0.9, 0.7);  // audio more confident
  EXPECT_NEAR(r.audio, 0.5 * 0.379949, 1e-6);
  EXPECT_EQ(r.visual, 0.0);
  r = mask_ratio(c, 0.5, 0.8);  // visual more confident
  EXPECT_NEAR(r.visual, 0.8 * 0.833655, 1e-6);
  EXPECT_EQ(r.audio, 0.0);
  r = mask_ratio(c, 0.7, 0.6);  // both easy, gap 0.1
  EXPECT_NEAR(r.audio, 0.5 * 0.197375, 1e-6);
  r = mask_ratio(c, 0.59, 0.2);  // the more confident one below tau: not easy
  EXPECT_EQ(r.audio + r.visual, 0.0);
  r = mask_ratio(c, 0.8, 0.8);  // a tie: no gap, no mask
  EXPECT_EQ(r.audio + r.visual, 0.0);
}

TEST(FusionMasks, MeanModeGivesEverySampleTheMeanRatio) {
  auto c = rule(MaskRule::Symmetric);
  c.mean_mode = true;
  const std::vector<SampleConfidence> conf = {{"a", 0, 0.9, 0.7}, {"b", 1, 0.5, 0.8}, {"c", 2, 0.1, 0.1}};
  const auto r = mask_ratios(c, conf);
  ASSERT_EQ(r.size(), 3u);
  for (const auto& x : r) {
    EXPECT_NEAR(x.audio, 0.5 * 0.379949 / 3, 1e-6);
    EXPECT_NEAR(x.visual, 0.8 * 0.833655 / 3, 1e-6);
  }
  const auto s = summarize(r);
  EXPECT_EQ(s.samples, 3u);
  EXPECT_EQ(s.audio_masked, 3u);
  EXPECT_NEAR(s.mean_visual, 0.8 * 0.833655 / 3, 1e-6);
}

TEST(FusionMasks, JoinAveragesEpochsAndNeedsBothRuns) {
  const std::map<std::string, std::vector<float>> a = {{"x", {0.2f, 0.4f}}, {"y", {1.0f}}};
  const std::map<std::string, std::vector<float>> v = {{"x", {0.5f, 0.7f, 0.9f}}, {"y", {0.0f}}};
  const auto j = join_confidences(a, v, {{"x", 3}, {"y", 1}});
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0].name, "x");
  EXPECT_EQ(j[0].label, 3);
  EXPECT_NEAR(j[0].audio, 0.3, 1e-6);
  EXPECT_NEAR(j[0].visual, 0.7, 1e-6);
  const std::map<std::string, std::vector<float>> v2 = {{"x", {0.5f}}};
  EXPECT_NE(error_of([&] { join_confidences(a, v2, {}); }).find("'y'"), std::string::npos);
}

TEST(FusionMasks, CsvRoundTripAndErrorsNameTheLine) {
  test::TempDir d;
  const std::vector<SampleConfidence> conf = {{"clip_1", 0, 0.25, 0.75}, {"clip_2", 4, 0.9, 0.1}};
  write_confidences_csv(d.file("c.csv"), conf);
  const auto back = read_confidences_csv(d.file("c.csv"));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].name, "clip_2");
  EXPECT_EQ(back[1].label, 4);
  EXPECT_NEAR(back[0].visual, 0.75, 1e-6);

  const auto ratios = mask_ratios(rule(MaskRule::Symmetric), back);
  write_mask_ratios_csv(d.file("r.csv"), back, ratios);
  const auto table = read_mask_ratios_csv(d.file("r.csv"));
  ASSERT_EQ(table.size(), 2u);
  EXPECT_NEAR(table.at("clip_2").audio, ratios[1].audio, 1e-6);

  std::ofstream(d.file("bad.csv")) << "name,label,conf_audio,conf_visual,ratio_audio,ratio_visual\nok,1,0.5,0.5,0.1,0\n"
                                   << "bad,1,0.5,0.5,1.5,0\n";
  const auto e = error_of([&] { read_mask_ratios_csv(d.file("bad.csv")); });
  EXPECT_NE(e.find("bad.csv"), std::string::npos) << e;
  EXPECT_NE(e.find(":3"), std::string::npos) << e;
  EXPECT_NE(e.find("[0, 1)"), std::string::npos) << e;
  std::ofstream(d.file("hdr.csv")) << "name,audio\n";
  EXPECT_NE(error_of([&] { read_confidences_csv(d.file("hdr.csv")); }).find("header"), std::string::npos);
  std::ofstream(d.file("dup.csv")) << "name,label,conf_audio,conf_visual,ratio_audio,ratio_visual\nx,1,0,0,0,0\nx,1,0,0,0,0\n";
  EXPECT_NE(error_of([&] { read_mask_ratios_csv(d.file("dup.csv")); }).find("again"), std::string::npos);
}
