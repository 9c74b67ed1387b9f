// The report's verdict rules on hand-made numbers: held, did not hold, within noise, and unknown
// when a number is missing.
#include <gtest/gtest.h>

#include <cmath>

#include "avtune/report/verdicts.h"

namespace avtune {
namespace {

using nlohmann::json;

json ms(double mean, double std) { return {{"mean", mean}, {"std", std}, {"n", 3}}; }
const Finding* find(const std::vector<Finding>& fs, const std::string& id) {
  for (const auto& f : fs)
    if (f.id == id) return &f;
  return nullptr;
}

TEST(Verdicts, CompareUsesTheLargerStdAsTheBar) {
  EXPECT_EQ(compare({0.6, 0.05}, {0.5, 0.02}), Gap::Higher);
  EXPECT_EQ(compare({0.5, 0.02}, {0.6, 0.05}), Gap::Lower);
  EXPECT_EQ(compare({0.6, 0.12}, {0.5, 0.02}), Gap::WithinNoise);
  EXPECT_EQ(compare({0.6, std::nan("")}, {0.5, std::nan("")}), Gap::Higher);  // NaN std counts as 0
  EXPECT_EQ(compare({std::nan(""), 0}, {0.5, 0}), Gap::Unknown);
  EXPECT_EQ(expect({0.6, 0.0}, {0.5, 0.0}, true), Outcome::Held);
  EXPECT_EQ(expect({0.6, 0.0}, {0.5, 0.0}, false), Outcome::DidNotHold);
  EXPECT_EQ(expect({0.5, 0.1}, {0.52, 0.0}, true), Outcome::WithinNoise);
  EXPECT_EQ(expect({0.5, 0.1}, {}, true), Outcome::Unknown);
  EXPECT_STREQ(to_string(Outcome::DidNotHold), "did not hold");
  EXPECT_TRUE(std::isnan(estimate_of(json()).mean));
  EXPECT_TRUE(std::isnan(estimate_of({{"mean", nullptr}, {"std", 0.1}}).mean));
}

json cross(double rnd, double pre, double abri, double std = 0.01) {
  return {{"audio_from_visual",
           {{"title", "audio from visual"},
            {"rows", {{{"variant", "random"}, {"test_top1", ms(rnd, std)}},
                      {{"variant", "pre-trained"}, {"test_top1", ms(pre, std)}},
                      {{"variant", "ABRi"}, {"test_top1", ms(abri, std)}}}}}}};
}

TEST(Verdicts, CrossModalPreTrainingHurts) {
  auto f = study_findings({{"cross_modal", cross(0.6, 0.4, 0.7)}});
  ASSERT_NE(find(f, "cross_modal_hurts/audio_from_visual"), nullptr);
  EXPECT_EQ(find(f, "cross_modal_hurts/audio_from_visual")->outcome, Outcome::Held);
  EXPECT_NE(find(f, "cross_modal_hurts/audio_from_visual")->text.find("40.0 ± 1.0"), std::string::npos);
  f = study_findings({{"cross_modal", cross(0.4, 0.6, 0.7)}});
  EXPECT_EQ(find(f, "cross_modal_hurts/audio_from_visual")->outcome, Outcome::DidNotHold);
  f = study_findings({{"cross_modal", cross(0.5, 0.49, 0.7, 0.05)}});
  EXPECT_EQ(find(f, "cross_modal_hurts/audio_from_visual")->outcome, Outcome::WithinNoise);
  f = study_findings({{"cross_modal", cross(std::nan(""), 0.5, 0.7)}});  // NaN is written as null
  EXPECT_EQ(find(f, "cross_modal_hurts/audio_from_visual")->outcome, Outcome::Unknown);
}

TEST(Verdicts, AbriHelps) {
  EXPECT_EQ(find(study_findings({{"cross_modal", cross(0.6, 0.4, 0.7)}}), "abri_helps/audio_from_visual")->outcome, Outcome::Held);
  EXPECT_EQ(find(study_findings({{"cross_modal", cross(0.6, 0.5, 0.3)}}), "abri_helps/audio_from_visual")->outcome,
            Outcome::DidNotHold);
  EXPECT_EQ(find(study_findings({{"cross_modal", cross(0.6, 0.5, 0.505)}}), "abri_helps/audio_from_visual")->outcome,
            Outcome::WithinNoise);
  json two_rows = cross(0.6, 0.5, 0.7);
  two_rows["audio_from_visual"]["rows"].erase(2);
  EXPECT_EQ(find(study_findings({{"cross_modal", two_rows}}), "abri_helps/audio_from_visual")->outcome, Outcome::Unknown);
}

json joint(double j0, double j2, double v0, double v2) {
  auto row = [](double j, double v) { return json{{"joint_top1", ms(j, 0.01)}, {"probe_visual", ms(v, 0.01)}}; };
  return {{"rows", {row(j0, v0), row(0.5, 0.5), row(j2, v2)}}};
}

TEST(Verdicts, JointStrongerEncoderAndSuppression) {
  auto f = study_findings({{"joint", joint(0.5, 0.7, 0.6, 0.4)}});
  EXPECT_EQ(find(f, "joint_stronger_encoder")->outcome, Outcome::Held);
  EXPECT_EQ(find(f, "joint_suppression")->outcome, Outcome::Held);
  f = study_findings({{"joint", joint(0.7, 0.5, 0.4, 0.6)}});
  EXPECT_EQ(find(f, "joint_stronger_encoder")->outcome, Outcome::DidNotHold);
  EXPECT_EQ(find(f, "joint_suppression")->outcome, Outcome::DidNotHold);
  f = study_findings({{"joint", joint(0.5, 0.505, 0.6, 0.6)}});
  EXPECT_EQ(find(f, "joint_stronger_encoder")->outcome, Outcome::WithinNoise);
  EXPECT_EQ(find(f, "joint_suppression")->outcome, Outcome::WithinNoise);
  f = study_findings({{"joint", {{"rows", json::array()}}}});
  EXPECT_EQ(find(f, "joint_stronger_encoder")->outcome, Outcome::Unknown);
  EXPECT_EQ(find(f, "joint_suppression")->outcome, Outcome::Unknown);
}

json fust(double base, double sym) {
  auto row = [](const char* arm, double j) { return json{{"arm", arm}, {"joint_top1", ms(j, 0.01)}}; };
  return {{"rows", {row("baseline", base), row("reference", 0.1), row("symmetric", sym), row("mean", 0.2)}}};
}

TEST(Verdicts, FusionTuningImproves) {
  auto f = study_findings({{"fust", fust(0.5, 0.6)}});
  EXPECT_EQ(find(f, "fust_improves")->outcome, Outcome::Held);
  EXPECT_NE(find(f, "fust_improves")->text.find("best arm is symmetric"), std::string::npos);
  EXPECT_EQ(find(study_findings({{"fust", fust(0.6, 0.5)}}), "fust_improves")->outcome, Outcome::DidNotHold);
  EXPECT_EQ(find(study_findings({{"fust", fust(0.5, 0.505)}}), "fust_improves")->outcome, Outcome::WithinNoise);
  EXPECT_EQ(find(study_findings({{"fust", fust(std::nan(""), 0.5)}}), "fust_improves")->outcome, Outcome::Unknown);
}

TEST(Verdicts, AbsentExperimentsGiveNoFindings) {
  EXPECT_TRUE(study_findings(json::object()).empty());
  EXPECT_EQ(study_findings({{"joint", joint(0.5, 0.7, 0.6, 0.4)}}).size(), 2u);
}

}  // namespace
}  // namespace avtune
