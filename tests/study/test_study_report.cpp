// The report rendered from a hand-made results.json alone: report.md, report.html and every figure
// (PNG plus the vector file), and the checks `avtune report` relies on.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "avtune/report/study_report.h"
#include "../test_support.h"

namespace avtune {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json ms(double m) { return {{"mean", m}, {"std", 0.01}, {"n", 2}}; }

json diag(double ratio, bool measured) {
  json layers = json::array();
  for (const char* n : {"bn1", "layer1.0.bn1"}) {
    json l = {{"name", n}, {"channels", 16}, {"abnormal_ratio@2e-05", 0.0}, {"abnormal_ratio@0.01", ratio}};
    if (measured) l["dead_channels"] = 4;
    layers.push_back(l);
  }
  return {{"label", "x"}, {"abs_thresholds", {2e-5, 0.01}}, {"total_abnormal_ratio", {0.0, ratio}}, {"layers", layers}};
}

json results() {
  json rows = json::array();
  for (const char* v : {"random", "pre-trained", "pre-trained + ABRi (per layer)"})
    rows.push_back({{"variant", v}, {"test_top1", ms(0.5)},
                    {"curve", {{"epoch", {1, 2}}, {"mean", {0.3, 0.5}}, {"std", {0.01, 0.02}}}}});
  json joint_rows = json::array();
  for (const char* a : {"random", "other", "same"})
    joint_rows.push_back({{"audio_init", a}, {"joint_top1", ms(0.6)}, {"probe_audio", ms(0.4)}, {"probe_visual", ms(0.5)}});
  json arms = json::array();
  for (const char* a : {"baseline", "reference", "symmetric", "mean"})
    arms.push_back({{"arm", a}, {"masks", nullptr}, {"joint_top1", ms(0.6)}, {"probe_audio", ms(0.4)}, {"probe_visual", ms(0.5)}});
  arms[1]["val_top1"] = ms(0.7);
  arms.push_back({{"arm", "OGM-GE"}, {"key", "ogm-ge"}, {"method", "balance"}, {"balance", "ogm-ge"}, {"masks", nullptr},
                  {"joint_top1", ms(0.65)}, {"probe_audio", ms(0.4)}, {"probe_visual", ms(0.5)}});
  arms.push_back({{"arm", "FusT, best on validation (reference)"}, {"key", "fust-best-val"}, {"method", "fust-best-val"},
                  {"masks", nullptr}, {"val_top1", ms(0.7)}, {"joint_top1", ms(0.6)}, {"probe_audio", ms(0.4)},
                  {"probe_visual", ms(0.5)}});
  return {{"kind", kStudyResultsKind},
          {"plan", {{"abnormal_threshold", 0.01}}},
          {"seeds", 2},
          {"cross_seeds", 2},
          {"pretrain", {{"visual", {{"test_top1", 0.8}, {"seconds", 3}}}, {"audio", {{"test_top1", 0.7}, {"seconds", 4}}}}},
          {"diagnosis", {{"visual_source", diag(0.4, true)}, {"after_audio_from_visual", diag(0.2, true)}}},
          {"cross_modal", {{"audio_from_visual", {{"title", "audio from visual"}, {"source", "visual"}, {"rows", rows}}}}},
          {"joint", {{"rows", joint_rows}}},
          {"fust", {{"rows", arms},
                    {"rule", {{"tau", 0.5}, {"eta", 3}, {"rho", 0.5}}},
                    {"stage1_confidence", {{"group_names", {"a", "b", "c"}}, {"audio", {0.1, 0.9, 0.5}},
                                           {"visual", {0.8, 0.2, 0.5}}, {"group", {0, 1, -1}}}}}}};
}

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(StudyReport, RendersEveryFigureFromResultsAlone) {
  test::TempDir t;
  const auto files = write_study_report(t.path.string(), results(), FigureFormat::Svg);
  for (const char* stem :
       {"findings", "curves_audio_from_visual", "diagnosis_audio_from_visual", "joint", "confidence_scatter"}) {
    const fs::path png = t.path / "figures" / (std::string(stem) + ".png");
    ASSERT_TRUE(fs::exists(png)) << png;
    EXPECT_EQ(slurp(png.string()).substr(1, 3), "PNG");
    const fs::path svg = t.path / "figures" / (std::string(stem) + ".svg");
    ASSERT_TRUE(fs::exists(svg)) << svg;
    EXPECT_NE(slurp(svg.string()).find("<svg"), std::string::npos);
  }
  EXPECT_EQ(files.figures.size(), 10u);
  const std::string md = slurp(files.markdown), html = slurp(files.html);
  EXPECT_NE(md.find("figures/joint.png"), std::string::npos);
  EXPECT_NE(md.find("figures/joint.svg"), std::string::npos);
  EXPECT_NE(md.find("## Summary"), std::string::npos);
  // Every comparison with its interval and seeds per arm, the verdict and the rule printed.
  EXPECT_NE(md.find("| fust_improves | FusT, symmetric rule − joint baseline | 2 / 2 | +0.0 | [-"), std::string::npos) << md;
  EXPECT_NE(md.find("| inconclusive |"), std::string::npos);
  // The balancing method and the best-on-validation row beside the baseline, and which of them beat it.
  EXPECT_NE(md.find("| beats_baseline/ogm-ge | OGM-GE − joint baseline | 2 / 2 | +5.0 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| OGM-GE | — (ogm-ge in training) | — | 65.0 ± 1.0 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| FusT, best on validation (reference) | — | 70.0 ± 1.0 | 60.0 ± 1.0 |"), std::string::npos) << md;
  EXPECT_NE(md.find("**beat it** (interval above zero): OGM-GE (+5.0 ["), std::string::npos) << md;
  EXPECT_NE(md.find("**Inconclusive** (interval contains zero): FusT, symmetric rule (+0.0 ["), std::string::npos) << md;
  EXPECT_NE(md.find("Verdict rule:"), std::string::npos);
  EXPECT_NE(md.find("| initialisation | test top-1 (%) | seeds |"), std::string::npos);
  EXPECT_NE(md.find("figures/findings.png"), std::string::npos);
  EXPECT_NE(html.find("data:image/png;base64,iVBORw0KGgo"), std::string::npos);
  EXPECT_EQ(html.find("diagnosis_visual_from_audio"), std::string::npos);  // no data, no figure
}

TEST(StudyReport, PngFormatWritesNoVectorFiles) {
  test::TempDir t;
  const auto files = write_study_report(t.path.string(), results(), FigureFormat::Png);
  EXPECT_EQ(files.figures.size(), 5u);
  EXPECT_FALSE(fs::exists(t.path / "figures" / "joint.svg"));
}

TEST(StudyReport, ReadStudyResultsNamesTheFile) {
  test::TempDir t;
  std::string e = test::error_of([&] { read_study_results(t.path.string()); });
  EXPECT_NE(e.find((t.path / "results.json").string()), std::string::npos) << e;
  std::ofstream(t.file("results.json")) << "{\"epochs\": 3}";
  e = test::error_of([&] { read_study_results(t.path.string()); });
  EXPECT_NE(e.find("results of a study"), std::string::npos) << e;
  std::ofstream(t.file("results.json")) << "{not json";
  EXPECT_NE(test::error_of([&] { read_study_results(t.path.string()); }).find("results.json"), std::string::npos);
  std::ofstream(t.file("results.json")) << results().dump();
  EXPECT_EQ(read_study_results(t.path.string())["seeds"], 2);
  // results.json written before "kind" existed: a plan and an experiment.
  EXPECT_TRUE(is_study_results({{"plan", {{"width", 0.25}}}, {"joint", json::object()}}));
  EXPECT_FALSE(is_study_results({{"plan", {{"width", 0.25}}}}));
}

}  // namespace
}  // namespace avtune
