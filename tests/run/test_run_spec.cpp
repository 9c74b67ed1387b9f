#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "avtune/run/run_spec.h"
#include "avtune/run/training_run.h"
#include "avtune/train/train_config.h"
#include "avtune/util/error.h"
#include "../test_support.h"

using namespace avtune;
using nlohmann::json;

TEST(RunSpec, DefaultsAreTheDocumentedOnes) {
  const DataSettings d;
  EXPECT_EQ(d.format, "ks");
  EXPECT_EQ(d.eval_split, "test");
  EXPECT_EQ(d.frames, 3);
  EXPECT_EQ(d.image_size, 224);
  EXPECT_EQ(d.audio_frames, 1024);  // the paper's 10.24 s
  EXPECT_EQ(d.mel_bins, 128);
  EXPECT_DOUBLE_EQ(d.fbank_mean, -4.503877);  // Kinetics-Sounds, as the reference loader
  EXPECT_DOUBLE_EQ(d.fbank_std, 5.141276);
  const ModelSettings m;
  EXPECT_EQ(m.depth, 18);
  EXPECT_DOUBLE_EQ(m.width, 1.0);
  EXPECT_TRUE(m.channels_last);
  EXPECT_EQ(m.fusion, "concat");
  EXPECT_EQ(m.abri, "none");
  EXPECT_DOUBLE_EQ(m.abri_alpha, 0.5);
  EXPECT_DOUBLE_EQ(m.bn_reset_threshold, 1e-6);
  // The generated field list shows the same defaults (what CLI help prints).
  for (const auto& f : data_fields()) {
    if (f.key == "image_size") {
      EXPECT_EQ(f.value, "224");
    }
  }
  for (const auto& f : model_fields()) {
    if (f.key == "abri_alpha") {
      EXPECT_EQ(f.value, "0.5");
    }
  }
}

TEST(RunSpec, JsonRoundTripKeepsEveryField) {
  DataSettings d;
  d.root = "/data/ks";
  d.format = "csv";
  d.frames = 8;
  d.image_size = 112;
  d.fbank_mean = -1.25;
  d.skip_bad = true;
  d.mask_file = "ratios.csv";
  const DataSettings d2 = data_settings_from_json(to_json(d));
  EXPECT_EQ(to_json(d2), to_json(d));
  EXPECT_EQ(d2.frames, 8);
  EXPECT_TRUE(d2.skip_bad);
  ModelSettings m;
  m.modality = "av";
  m.width = 0.25;
  m.abri = "channel";
  m.audio_init = "src.pth:conv1=sum";
  m.freeze_encoder = true;
  m.classes = 31;
  const ModelSettings m2 = model_settings_from_json(to_json(m));
  EXPECT_EQ(to_json(m2), to_json(m));
  EXPECT_EQ(m2.audio_init, "src.pth:conv1=sum");
  EXPECT_EQ(m2.classes, 31);
}

TEST(RunSpec, AbsentKeysKeepDefaultsAndResolvedFillsThemAll) {
  const json r = resolved_data({{"root", "x"}});
  EXPECT_EQ(r.size(), data_fields().size());
  EXPECT_EQ(r["image_size"], 224);
  EXPECT_EQ(r["root"], "x");
  const json m = resolved_model({{"modality", "audio"}});
  EXPECT_EQ(m.size(), model_fields().size());
  EXPECT_EQ(m["fusion"], "concat");
}

TEST(RunSpec, UnknownKeysAndWrongTypesNameTheKeyAndSource) {
  const std::string unknown = test::error_of([] { data_settings_from_json({{"imag_size", 32}}, "run/config.json"); });
  EXPECT_NE(unknown.find("imag_size"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("run/config.json"), std::string::npos) << unknown;
  const std::string typed = test::error_of([] { model_settings_from_json({{"depth", "eighteen"}}, "cmd"); });
  EXPECT_NE(typed.find("'depth'"), std::string::npos) << typed;
  EXPECT_NE(typed.find("an integer"), std::string::npos) << typed;
  EXPECT_THROW(model_settings_from_json({{"channels_last", 1}}), Error);
  EXPECT_THROW(data_settings_from_json(json::array()), Error);
}

TEST(RunSpec, FlagsAreUniqueAndMatchTheKeys) {
  std::set<std::string> flags;
  for (const auto& list : {data_fields(), model_fields()})
    for (const auto& f : list) {
      EXPECT_FALSE(f.help.empty()) << f.key;
      if (f.flag.empty()) continue;
      EXPECT_TRUE(flags.insert(f.flag).second) << "duplicate flag " << f.flag;
      EXPECT_EQ(f.flag.rfind("--", 0), 0u) << f.flag;
    }
}

// A run directory's config.json as main wrote it before the typed settings (commit 52becdd) still
// loads, with every value it recorded.
TEST(RunSpec, ConfigWrittenByTheEarlierFormatStillLoads) {
  std::ifstream in(std::string(AVTUNE_TEST_DATA_DIR) + "/config_52becdd.json");
  ASSERT_TRUE(in) << "missing checked-in fixture config_52becdd.json";
  const json j = json::parse(in);
  const TrainConfig c = train_config_from_json(j, "config_52becdd.json");
  const ModelSettings m = model_settings_from_json(c.model, "config_52becdd.json");
  const DataSettings d = data_settings_from_json(c.data, "config_52becdd.json");
  EXPECT_EQ(m.modality, j["model"]["modality"].get<std::string>());
  EXPECT_DOUBLE_EQ(m.width, j["model"]["width"].get<double>());
  EXPECT_EQ(m.classes, j["model"]["classes"].get<int64_t>());
  EXPECT_EQ(d.root, j["data"]["root"].get<std::string>());
  EXPECT_EQ(d.image_size, j["data"]["image_size"].get<int64_t>());
  EXPECT_DOUBLE_EQ(d.fbank_mean, j["data"]["fbank_mean"].get<double>());
  // And writes back the same sections, with the keys added since at the values that keep its meaning:
  // no class names recorded, no preset, its fbank numbers used as given (issue 18).
  json jm = j["model"], jd = j["data"];
  jm["class_names"] = json::array();
  jd["preset"] = "";
  jd["fbank_stats"] = "given";
  // The draft decode is the training default (issue 13), for old configs too: it changes frames of
  // at least twice image_size only, by the difference docs/vision.md states.
  jd["jpeg_draft"] = true;
  EXPECT_EQ(to_json(m), jm);
  EXPECT_EQ(to_json(d), jd);
}
