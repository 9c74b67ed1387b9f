// Ranges of the settings (issue 17): defaults pass, hostile values fail naming the key and the source.
#include <gtest/gtest.h>

#include <cmath>

#include "avtune/run/run_spec.h"
#include "avtune/train/train_config.h"
#include "avtune/util/json_fields.h"
#include "../test_support_base.h"

using namespace avtune;
using nlohmann::json;
using test::error_of;

namespace {

TEST(SettingRanges, EveryDefaultIsInRange) {
  TrainConfig c;
  for_each_field(c, [](const char* key, const char*, const char*, auto& member) {
    EXPECT_EQ(train_setting_problem(key, json(member)), "") << key;
  });
  DataSettings d;
  for_each_field(d, [](const char* key, const char*, const char*, auto& member) {
    EXPECT_EQ(setting_problem("data", key, json(member)), "") << key;
  });
  ModelSettings m;
  for_each_field(m, [](const char* key, const char*, const char*, auto& member) {
    EXPECT_EQ(setting_problem("model", key, json(member)), "") << key;
  });
}

TEST(SettingRanges, ConfigFilesGetTheSameChecksAsFlags) {
  for (const auto& [key, value] : std::vector<std::pair<std::string, json>>{
           {"lr", -0.1}, {"lr", HUGE_VAL}, {"momentum", 1.5}, {"beta2", 1.0}, {"eps", 0.0}, {"gamma", 0.0},
           {"milestones", json::array({3, -1})}, {"dist_timeout", 0.0}, {"opm_p_exe", 2.0}}) {
    const std::string m = error_of([&] { train_config_from_json(json{{key, value}}, "run.json"); });
    EXPECT_NE(m.find("'" + key + "'"), std::string::npos) << m;
    EXPECT_NE(m.find("run.json"), std::string::npos) << m;
  }
  const std::string w = error_of([] { model_settings_from_json(json{{"width", -1.0}}, "cfg.json"); });
  EXPECT_NE(w.find("'width'"), std::string::npos) << w;
  const std::string s = error_of([] { data_settings_from_json(json{{"fbank_std", 0.0}}, "cfg.json"); });
  EXPECT_NE(s.find("'fbank_std'"), std::string::npos) << s;
  const std::string t = error_of([] { model_settings_from_json(json{{"bn_reset_threshold", -1e-3}}, "cfg.json"); });
  EXPECT_NE(t.find("bn_reset_threshold"), std::string::npos) << t;
}

TEST(SettingRanges, DeepConfigValueGivesAShortError) {
  const size_t n = 100000;
  const json deep = json::parse("{\"lr\": " + std::string(n, '[') + std::string(n, ']') + "}");
  const std::string m = error_of([&] { train_config_from_json(deep, "deep.json"); });
  EXPECT_NE(m.find("'lr'"), std::string::npos) << m.substr(0, 300);
  EXPECT_LT(m.size(), 300u) << m.substr(0, 300);
}

}  // namespace
