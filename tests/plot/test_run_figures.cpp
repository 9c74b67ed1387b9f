// The figures single commands write (curve, ABRi alpha, diagnosis, confidence scatter), in every
// format their path's extension picks.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "avtune/methods/dead_channels.h"
#include "avtune/plot/run_figures.h"
#include "avtune/util/error.h"
#include "plot_test_support.h"

using namespace avtune;
namespace fs = std::filesystem;

namespace {

using plot_test::TempDir;

std::string head_of(const std::string& path, size_t n) { return plot_test::read_all(path).substr(0, n); }

const std::string kPngSignature = "\x89PNG\r\n\x1a\n";

Diagnosis diagnosis(const std::string& source, size_t layers, bool measured) {
  Diagnosis d;
  d.source = source;
  for (size_t i = 0; i < layers; ++i) {
    BnLayerDiagnosis l;
    l.name = "layer" + std::to_string(i + 1) + ".0.bn1";
    l.channels = 64;
    l.abnormal_ratio = {0.01 * static_cast<double>(i), 0.02 * static_cast<double>(i)};
    if (measured) {
      l.samples = 32;
      l.dead_channels = static_cast<int64_t>(4 * i);
    }
    d.layers.push_back(l);
  }
  return d;
}

}  // namespace

TEST(RunFigures, CurveInEveryFormat) {
  TempDir d;
  std::vector<nlohmann::json> log;
  for (int e = 1; e <= 5; ++e) {
    nlohmann::json l = {{"epoch", e}, {"train_acc", 0.1 * e}};
    if (e % 2 == 1) l["eval"] = {{"top1", 0.08 * e}};  // eval only every other epoch: gaps
    log.push_back(l);
  }
  write_curve_figure(d.file("curve.png"), log, "run 1");
  write_curve_figure(d.file("curve.svg"), log, "run 1");
  write_curve_figure(d.file("curve.pdf"), log, "run 1");
  EXPECT_EQ(head_of(d.file("curve.png"), 8), kPngSignature);
  // Eval points join up across the epochs without an evaluation: a curve, not three lone markers.
  const plot_test::Image img = plot_test::read_png_rgb(d.file("curve.png"));
  int eval_pixels = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) eval_pixels += plot_test::distance(img.at(x, y), chart_color(1)) <= 24;
  EXPECT_GT(eval_pixels, 600);
  EXPECT_EQ(head_of(d.file("curve.svg"), 5), "<?xml");
  EXPECT_EQ(head_of(d.file("curve.pdf"), 5), "%PDF-");
  const std::string msg = plot_test::error_of([&] { write_curve_figure(d.file("curve.tiff"), log, "t"); });
  EXPECT_NE(msg.find(d.file("curve.tiff")), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(d.file("curve.tiff")));
}

TEST(RunFigures, AlphaAndDiagnosis) {
  TempDir d;
  write_alpha_figure(d.file("abri_alpha.png"), {"bn1", "layer1.0.bn1", "layer1.0.bn2"}, {0.9, 0.5, 0.1},
                     "ABRi: learned alpha per BN layer");
  EXPECT_EQ(head_of(d.file("abri_alpha.png"), 8), kPngSignature);
  const Diagnosis a = diagnosis("a.pt", 4, true), b = diagnosis("b.pt", 4, false);
  write_diagnosis_figure(d.file("diag.svg"), a, &b);
  EXPECT_EQ(head_of(d.file("diag.svg"), 5), "<?xml");
  write_diagnosis_figure(d.file("diag.pdf"), b);
  EXPECT_EQ(head_of(d.file("diag.pdf"), 5), "%PDF-");
  const Diagnosis c = diagnosis("c.pt", 3, false);
  const std::string msg = plot_test::error_of([&] { write_diagnosis_figure(d.file("bad.png"), a, &c); });
  EXPECT_NE(msg.find("same BN layers"), std::string::npos) << msg;
  EXPECT_NE(msg.find("4 vs 3 layers"), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(d.file("bad.png")));
}

TEST(RunFigures, ConfidenceScatterAndMaskClasses) {
  TempDir d;
  const std::vector<MaskRatio> ratios = {{0, 0}, {0.3, 0}, {0, 0.2}, {0.1, 0.1}};
  const std::vector<int> classes = mask_classes(ratios);
  EXPECT_EQ(classes, (std::vector<int>{0, 1, 2, 1}));
  ASSERT_EQ(kMaskClassNames.size(), 3u);
  EXPECT_EQ(kMaskClassNames[1], "audio masked");
  std::vector<SampleConfidence> conf;
  for (int i = 0; i < 4; ++i) conf.push_back({"s" + std::to_string(i), i, 0.2 * i, 0.9 - 0.2 * i});
  write_confidence_figure(d.file("masks.png"), conf, classes, kMaskClassNames, "stage 1");
  EXPECT_EQ(head_of(d.file("masks.png"), 8), kPngSignature);
  const std::string msg = plot_test::error_of(
      [&] { write_confidence_figure(d.file("m.png"), conf, {0, 1}, kMaskClassNames, "stage 1"); });
  EXPECT_NE(msg.find("one colour class per sample"), std::string::npos) << msg;
  EXPECT_NE(msg.find("2 for 4"), std::string::npos) << msg;
}

// Issue 18: a diagnosis with nothing abnormal says "none found" (not empty axes), and the legend
// spells gamma and beta in ASCII (cairo's fallback fonts drew the Greek letters as "?").
TEST(RunFigures, DiagnosisWithNothingAbnormalSaysNoneFound) {
  Diagnosis healthy = diagnosis("healthy.pt", 3, true);
  for (auto& l : healthy.layers) {
    l.abnormal_ratio = {0.0, 0.0};
    l.dead_channels = 0;
  }
  healthy.options.abs_thresholds = {1e-10, 1e-2};
  const BarChartModel none = diagnosis_chart(healthy);
  EXPECT_NE(none.style.title.find("(none found)"), std::string::npos) << none.style.title;
  EXPECT_EQ(none.style.note.rfind("none found", 0), 0u) << none.style.note;
  ASSERT_EQ(none.groups.size(), 3u);  // two thresholds and the dead-on-data share
  EXPECT_EQ(none.groups[0].name, "|gamma|,|beta| < 1e-10");
  EXPECT_EQ(none.groups[1].name, "|gamma|,|beta| < 0.01");
  for (const auto& g : none.groups)
    for (unsigned char ch : g.name) EXPECT_TRUE(ch >= 0x20 && ch < 0x7f && ch != '?') << g.name;
  // The note is drawn in the middle of the plot, where all-zero bars leave nothing else.
  const RenderedChart png = render_bar_chart(FigureFormat::Png, none.style, none.categories, none.groups);
  const plot_test::Image img = plot_test::decode_png(png.bytes, "the healthy diagnosis");
  const PlotArea& a = png.area;
  int ink = 0;
  for (int y = a.top + a.height / 2 - 15; y < a.top + a.height / 2 + 15; ++y)
    for (int x = a.left + a.width / 2 - 100; x < a.left + a.width / 2 + 100; ++x) ink += plot_test::gray(img.at(x, y), 200);
  EXPECT_GT(ink, 20);
  // With abnormal channels, no note and the plain title.
  Diagnosis sick = healthy;
  sick.layers[1].abnormal_ratio = {0.0, 0.25};
  const BarChartModel some = diagnosis_chart(sick);
  EXPECT_TRUE(some.style.note.empty());
  EXPECT_EQ(some.style.title.find("none found"), std::string::npos) << some.style.title;
  EXPECT_DOUBLE_EQ(some.groups[1].y[1], 0.25);
  const RenderedChart png2 = render_bar_chart(FigureFormat::Png, some.style, some.categories, some.groups);
  const plot_test::Image img2 = plot_test::decode_png(png2.bytes, "the diagnosis with findings");
  int ink2 = 0;
  for (int y = a.top + a.height / 2 - 15; y < a.top + a.height / 2 + 15; ++y)
    for (int x = a.left + a.width / 2 - 100; x < a.left + a.width / 2 + 100; ++x) ink2 += plot_test::gray(img2.at(x, y), 200);
  EXPECT_LT(ink2, ink);
}
