// Fusion Tuning's ratios against the reference's own computation (tests/reference/make_fidelity_fixtures.py):
// per-sample ratios and patch counts, mean mode (mean of the raw ratios, masked only when positive),
// and ratios.csv/confidences.csv read back exactly (a ratio just below k/512 keeps k - 1 patches).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "avtune/methods/fusion_masks.h"
#include "avtune/methods/patch_mask.h"
#include "../test_support.h"

using namespace avtune;

namespace {

nlohmann::json masks_fixture() {
  std::ifstream in(test::fixture("fidelity/masks.json"));
  return in ? nlohmann::json::parse(in) : nlohmann::json::object();
}

MaskRuleConfig reference_rule(const nlohmann::json& p) {
  MaskRuleConfig c;
  c.rule = MaskRule::Reference;
  c.tau = p["tau"];
  c.eta_audio = p["eta_audio"];
  c.eta_visual = p["eta_visual"];
  c.rho_audio = p["rho_audio"];
  c.rho_visual = p["rho_visual"];
  return c;
}

std::vector<SampleConfidence> confidences(const nlohmann::json& c) {
  std::vector<SampleConfidence> out;
  for (size_t i = 0; i < c["confidences"].size(); ++i)
    out.push_back({"clip_" + std::to_string(i), 0, c["confidences"][i][0].get<double>(), c["confidences"][i][1].get<double>()});
  return out;
}

int64_t patches(double ratio, PatchGrid grid) { return static_cast<int64_t>(ratio * static_cast<double>(grid.count())); }

}  // namespace

TEST(FusionMasksReference, PerSampleRatiosAndPatchCounts) {
  const auto fx = masks_fixture();
  ASSERT_EQ(fx["cases"].size(), 3u);
  for (const auto& c : fx["cases"]) {
    const auto cfg = reference_rule(c["params"]);
    const auto conf = confidences(c);
    const auto r = mask_ratios(cfg, conf);
    ASSERT_EQ(r.size(), conf.size());
    for (size_t i = 0; i < r.size(); ++i) {
      const auto raw = raw_mask_ratio(cfg, conf[i].audio, conf[i].visual);
      EXPECT_NEAR(raw.audio, c["raw"][i][0].get<double>(), 1e-12) << c["name"] << " " << i;
      EXPECT_NEAR(raw.visual, c["raw"][i][1].get<double>(), 1e-12) << c["name"] << " " << i;
      EXPECT_EQ(patches(r[i].audio, kAudioPatchGrid), c["audio_patches"][i].get<int64_t>()) << c["name"] << " " << i;
      EXPECT_EQ(patches(r[i].visual, kVisualPatchGrid), c["visual_patches"][i].get<int64_t>()) << c["name"] << " " << i;
    }
  }
}

TEST(FusionMasksReference, MeanModeAveragesRawRatiosAndMasksOnlyAPositiveMean) {
  const auto fx = masks_fixture();
  ASSERT_EQ(fx["cases"].size(), 3u);
  for (const auto& c : fx["cases"]) {
    auto cfg = reference_rule(c["params"]);
    cfg.mean_mode = true;
    const auto r = mask_ratios(cfg, confidences(c));
    const double ma = c["mean"][0], mv = c["mean"][1];
    for (const auto& x : r) {
      EXPECT_NEAR(x.audio, std::max(0.0, ma), 1e-12) << c["name"];
      EXPECT_NEAR(x.visual, std::max(0.0, mv), 1e-12) << c["name"];
      EXPECT_EQ(patches(x.audio, kAudioPatchGrid), c["mean_audio_patches"].get<int64_t>()) << c["name"];
      EXPECT_EQ(patches(x.visual, kVisualPatchGrid), c["mean_visual_patches"].get<int64_t>()) << c["name"];
    }
    const auto s = summarize(r);
    EXPECT_EQ(s.audio_masked, ma > 0 ? r.size() : 0u) << c["name"];
    EXPECT_EQ(s.visual_masked, 0u) << c["name"];
    // The earlier mean (of the clamped ratios) stays available by name.
    cfg.mean_of_clamped = true;
    const auto old = mask_ratios(cfg, confidences(c));
    EXPECT_NEAR(old[0].audio, c["mean_of_clamped"][0].get<double>(), 1e-12) << c["name"];
    EXPECT_NEAR(old[0].visual, c["mean_of_clamped"][1].get<double>(), 1e-12) << c["name"];
  }
  // Typical confidences: the reference masks nothing in mean mode; the clamped mean masked every sample.
  const auto& uniform = fx["cases"][0];
  EXPECT_LT(uniform["mean"][0].get<double>(), 0);
  EXPECT_GT(uniform["mean_of_clamped"][0].get<double>(), 0.01);
}

TEST(FusionMasksReference, CsvFilesReadBackExactly) {
  const auto fx = masks_fixture();
  const auto& pr = fx["precision"];
  ASSERT_EQ(pr["samples"].size(), 5u);
  const auto cfg = reference_rule(pr["params"]);
  std::vector<SampleConfidence> conf;
  for (size_t i = 0; i < pr["samples"].size(); ++i)
    conf.push_back({"clip_" + std::to_string(i), 1, pr["samples"][i]["audio"].get<double>(), pr["samples"][i]["visual"].get<double>()});
  test::TempDir d;
  write_confidences_csv(d.file("confidences.csv"), conf);
  const auto back = read_confidences_csv(d.file("confidences.csv"));
  ASSERT_EQ(back.size(), conf.size());
  for (size_t i = 0; i < conf.size(); ++i) {
    EXPECT_EQ(back[i].audio, conf[i].audio);  // bit for bit
    EXPECT_EQ(back[i].visual, conf[i].visual);
  }
  const auto ratios = mask_ratios(cfg, back);
  write_mask_ratios_csv(d.file("ratios.csv"), back, ratios);
  const auto table = read_mask_ratios_csv(d.file("ratios.csv"));
  for (size_t i = 0; i < conf.size(); ++i) {
    const auto& s = pr["samples"][i];
    EXPECT_EQ(table.at(conf[i].name).audio, ratios[i].audio);
    EXPECT_NEAR(ratios[i].audio, s["ratio"].get<double>(), 1e-15);
    // What stage 2 masks: k - 1 patches, as the reference (6 decimals gave k).
    std::mt19937_64 rng(i);
    auto x = torch::ones({1, 1024, 128});
    EXPECT_EQ(mask_patches(x, kAudioPatchGrid, table.at(conf[i].name).audio, rng), s["audio_patches"].get<int64_t>());
  }
}
