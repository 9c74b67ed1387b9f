// The report's verdict rules on hand-made numbers: held, contradicted, inconclusive, and unknown when
// a number is missing or an arm has one seed.
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

// Hand-made numbers, intervals from tests/report/reference_intervals.py (mpmath, independent of this code).
TEST(Verdicts, ThreeWayVerdictFromTheInterval) {
  // a = {0.70, 0.72, 0.71}, b = {0.60, 0.62, 0.61}: difference 0.1, 95% CI [0.07733, 0.12267] (df 4).
  const Estimate a{0.71, 0.01, 3}, b{0.61, 0.01, 3};
  const auto d = difference(a, b);
  EXPECT_NEAR(d.lo, 0.0773304206447248, 1e-9);
  EXPECT_NEAR(d.hi, 0.122669579355275, 1e-9);
  EXPECT_EQ(verdict(d, true), Outcome::Held);           // the paper expects a above b
  EXPECT_EQ(verdict(d, false), Outcome::Contradicted);  // the paper expects a below b
  // a = {0.55, 0.60, 0.52, 0.58, 0.61}, b = {0.50, 0.57, 0.49}: difference 0.052, CI [-0.03384, 0.13784].
  const auto open = welch_interval({0.55, 0.60, 0.52, 0.58, 0.61}, {0.50, 0.57, 0.49});
  EXPECT_NEAR(open.lo, -0.0338423834108151, 1e-9);
  EXPECT_NEAR(open.hi, 0.137842383410815, 1e-9);
  EXPECT_EQ(verdict(open, true), Outcome::Inconclusive);
  EXPECT_EQ(verdict(open, false), Outcome::Inconclusive);
  // Fewer than 2 seeds in an arm, or a missing mean: no interval, no verdict.
  EXPECT_EQ(verdict(difference({0.7, 0.0, 1}, b), true), Outcome::Unknown);
  EXPECT_EQ(verdict(difference({std::nan(""), 0.01, 3}, b), true), Outcome::Unknown);
  EXPECT_STREQ(to_string(Outcome::Contradicted), "contradicted");
  EXPECT_STREQ(to_string(Outcome::Inconclusive), "inconclusive");
  EXPECT_TRUE(std::isnan(estimate_of(json()).mean));
  EXPECT_TRUE(std::isnan(estimate_of({{"mean", nullptr}, {"std", 0.1}}).mean));
  EXPECT_EQ(estimate_of({{"mean", 0.5}, {"std", 0.1}}).n, 0u);  // results without n: no interval
  EXPECT_EQ(estimate_of(ms(0.5, 0.1)).n, 3u);
}

TEST(Verdicts, MoreSeedsOnlyWhereTheIntervalHoldsZeroAndReachesPastTheMinimalEffect) {
  const auto open = welch_interval({0.55, 0.60, 0.52, 0.58, 0.61}, {0.50, 0.57, 0.49});  // [-3.4, +13.8] points
  EXPECT_TRUE(needs_more_seeds(open, 0.02));
  EXPECT_FALSE(needs_more_seeds(open, 0.20));  // the whole interval lies within +-20 points
  EXPECT_FALSE(needs_more_seeds(difference({0.71, 0.01, 3}, {0.61, 0.01, 3}), 0.02));  // excludes zero: settled
  EXPECT_FALSE(needs_more_seeds(difference({0.71, 0.0, 1}, {0.61, 0.01, 3}), 0.02));   // no interval
}

TEST(Verdicts, FindingsCarryTheirIntervalAndSeeds) {
  json r = {{"fust", {{"rows", {{{"arm", "baseline"}, {"joint_top1", {{"mean", 0.61}, {"std", 0.01}, {"n", 3}}}},
                                {{"arm", "ref"}, {"joint_top1", ms(0.1, 0.1)}},
                                {{"arm", "symmetric"}, {"joint_top1", {{"mean", 0.71}, {"std", 0.01}, {"n", 4}}}}}}}}};
  const auto f = study_findings(r);
  ASSERT_EQ(f.size(), 1u);
  const json j = f[0].to_json();
  EXPECT_EQ(j["verdict"], "held");
  EXPECT_EQ(j["a"]["n"], 4);
  EXPECT_EQ(j["b"]["n"], 3);
  EXPECT_EQ(j["method"], "welch");
  EXPECT_NEAR(j["difference"].get<double>(), 0.1, 1e-12);
  EXPECT_LT(j["ci95"][0].get<double>(), 0.1);
  EXPECT_GT(j["ci95"][1].get<double>(), 0.1);
  EXPECT_NE(f[0].text.find("95% CI"), std::string::npos);
  EXPECT_NE(verdict_rule_text(0.02).find("excludes zero"), std::string::npos);
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
  EXPECT_NE(find(f, "cross_modal_hurts/audio_from_visual")->text.find("40.0 ± 1.0, n = 3"), std::string::npos);
  f = study_findings({{"cross_modal", cross(0.4, 0.6, 0.7)}});
  EXPECT_EQ(find(f, "cross_modal_hurts/audio_from_visual")->outcome, Outcome::Contradicted);
  f = study_findings({{"cross_modal", cross(0.5, 0.49, 0.7, 0.05)}});
  EXPECT_EQ(find(f, "cross_modal_hurts/audio_from_visual")->outcome, Outcome::Inconclusive);
  f = study_findings({{"cross_modal", cross(std::nan(""), 0.5, 0.7)}});  // NaN is written as null
  EXPECT_EQ(find(f, "cross_modal_hurts/audio_from_visual")->outcome, Outcome::Unknown);
}

TEST(Verdicts, AbriHelps) {
  EXPECT_EQ(find(study_findings({{"cross_modal", cross(0.6, 0.4, 0.7)}}), "abri_helps/audio_from_visual")->outcome, Outcome::Held);
  EXPECT_EQ(find(study_findings({{"cross_modal", cross(0.6, 0.5, 0.3)}}), "abri_helps/audio_from_visual")->outcome,
            Outcome::Contradicted);
  EXPECT_EQ(find(study_findings({{"cross_modal", cross(0.6, 0.5, 0.505)}}), "abri_helps/audio_from_visual")->outcome,
            Outcome::Inconclusive);
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
  EXPECT_EQ(find(f, "joint_stronger_encoder")->outcome, Outcome::Contradicted);
  EXPECT_EQ(find(f, "joint_suppression")->outcome, Outcome::Contradicted);
  f = study_findings({{"joint", joint(0.5, 0.505, 0.6, 0.6)}});
  EXPECT_EQ(find(f, "joint_stronger_encoder")->outcome, Outcome::Inconclusive);
  EXPECT_EQ(find(f, "joint_suppression")->outcome, Outcome::Inconclusive);
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
  EXPECT_NE(find(f, "fust_improves")->text.find("held"), std::string::npos);
  EXPECT_EQ(find(study_findings({{"fust", fust(0.6, 0.5)}}), "fust_improves")->outcome, Outcome::Contradicted);
  EXPECT_EQ(find(study_findings({{"fust", fust(0.5, 0.505)}}), "fust_improves")->outcome, Outcome::Inconclusive);
  EXPECT_EQ(find(study_findings({{"fust", fust(std::nan(""), 0.5)}}), "fust_improves")->outcome, Outcome::Unknown);
}

// Balancing methods and FusT's best-on-validation row beside the baseline: one finding each (the methods'
// claim, a above the baseline) and one sentence saying which beat it, which fell below, which stayed open.
TEST(Verdicts, WhichMethodsBeatTheBaseline) {
  auto row = [](const char* arm, const char* key, const char* method, double j, double sd) {
    return json{{"arm", arm}, {"key", key}, {"method", method}, {"joint_top1", ms(j, sd)}};
  };
  json r = {{"fust", {{"rows", {row("joint baseline (no masks)", "0", "baseline", 0.60, 0.01),
                                row("FusT, reference rule", "1", "fust", 0.57, 0.01),
                                row("FusT, symmetric rule", "2", "fust", 0.55, 0.01),  // below
                                row("OGM-GE", "ogm-ge", "balance", 0.70, 0.01),         // above
                                row("OPM", "opm", "balance", 0.61, 0.05),               // open
                                row("FusT, best on validation (FusT, reference rule)", "fust-best-val", "fust-best-val",
                                    0.57, 0.01)}}}}};
  const auto f = study_findings(r);
  ASSERT_EQ(f.size(), 4u);  // fust_improves + OGM-GE, OPM, best on validation (the reference arm itself has none)
  EXPECT_EQ(find(f, "beats_baseline/ogm-ge")->outcome, Outcome::Held);
  EXPECT_EQ(find(f, "beats_baseline/opm")->outcome, Outcome::Inconclusive);
  EXPECT_EQ(find(f, "beats_baseline/fust-best-val")->outcome, Outcome::Contradicted);
  EXPECT_EQ(find(f, "beats_baseline/ogm-ge")->a_label, "OGM-GE");
  EXPECT_NE(find(f, "beats_baseline/opm")->text.find("inconclusive"), std::string::npos);
  const std::string t = baseline_sentence(f);
  // OGM-GE beat it; the symmetric rule and the best-on-validation row fell below; OPM stayed open.
  EXPECT_NE(t.find("**beat it** (interval above zero): OGM-GE (+10.0 [+7.7, +12.3])."), std::string::npos) << t;
  EXPECT_NE(t.find("**Below it** (interval below zero): FusT, symmetric rule (-5.0 [-7.3, -2.7]); FusT, best on "
                   "validation (FusT, reference rule) (-3.0 [-5.3, -0.7])."),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("**Inconclusive** (interval contains zero): OPM ("), std::string::npos) << t;
  // None beat it: said so, not left out.
  r["fust"]["rows"][3]["joint_top1"] = ms(0.5, 0.01);
  EXPECT_NE(baseline_sentence(study_findings(r)).find("**beat it** (interval above zero): none."), std::string::npos);
  EXPECT_EQ(baseline_sentence({}), "");
}

TEST(Verdicts, AbsentExperimentsGiveNoFindings) {
  EXPECT_TRUE(study_findings(json::object()).empty());
  EXPECT_EQ(study_findings({{"joint", joint(0.5, 0.7, 0.6, 0.4)}}).size(), 2u);
}

}  // namespace
}  // namespace avtune
