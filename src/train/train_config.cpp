#include "avtune/train/train_config.h"

#include <fstream>
#include <map>
#include <set>

#include "avtune/util/error.h"
#include "avtune/util/json_fields.h"
#include "avtune/util/value_range.h"

namespace avtune {

using nlohmann::json;

std::string train_setting_problem(const std::string& key, const json& v) {
  static const std::map<std::string, ValueRange> kRanges = {
      {"epochs", {1, kNoLimit}},          {"batch_size", {1, kNoLimit}},     {"lr", {0, kNoLimit}},
      {"momentum", {0, 1}},               {"beta1", {0, 1, false, true}},    {"beta2", {0, 1, false, true}},
      {"eps", {0, kNoLimit, true}},       {"weight_decay", {0, kNoLimit}},   {"grad_clip", {0, kNoLimit}},
      {"step_size", {1, kNoLimit}},       {"milestones", {0, kNoLimit}},     {"gamma", {0, kNoLimit, true}},
      {"min_lr", {0, kNoLimit}},          {"warmup_epochs", {0, kNoLimit}},  {"workers", {0, kNoLimit}},
      {"eval_every", {0, kNoLimit}},      {"balance_alpha", {0, kNoLimit}},  {"balance_start", {0, kNoLimit}},
      {"balance_end", {0, kNoLimit}},     {"opm_q_base", {0, 1}},            {"opm_p_exe", {0, 1}},
      {"umt_weight", {0, kNoLimit}},
      {"dist_timeout", {0, kNoLimit, true}}, {"world_size", {1, kNoLimit}},
  };
  auto it = kRanges.find(key);
  return it == kRanges.end() ? range_problem(v, {-kNoLimit, kNoLimit}) : range_problem(v, it->second);
}

json to_json(const TrainConfig& c) {
  json j;
  TrainConfig copy = c;  // for_each_field visits mutable members
  for_each_field(copy, [&](const char* key, const char*, const char*, auto& member) { j[key] = member; });
  j["model"] = c.model;
  j["data"] = c.data;
  return j;
}

TrainConfig apply_json(TrainConfig c, const json& j, const std::string& source) {
  if (!j.is_object()) fail("train-config", "a JSON object of settings", std::string(j.type_name()), {source});
  std::set<std::string> seen;
  for_each_field(c, [&](const char* key, const char*, const char*, auto& member) {
    if (!j.contains(key)) return;
    seen.insert(key);
    read_json_field(j.at(key), member, key, source);
    if (auto p = train_setting_problem(key, j.at(key)); !p.empty())
      fail("train-config", "'" + std::string(key) + "' to be " + p, json_excerpt(j.at(key)), {source});
  });
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    if (k == "model" || k == "data") {
      if (!v.is_object()) fail("train-config", "'" + k + "' as an object", json_excerpt(v), {source});
      auto& dst = k == "model" ? c.model : c.data;
      for (auto e = v.begin(); e != v.end(); ++e) dst[e.key()] = e.value();  // merge, so overrides add keys
    } else if (!seen.count(k)) {
      fail("train-config", "a known setting (see docs/training.md)", "'" + k + "'", {source});
    }
  }
  if (c.epochs < 1) fail("train-config", "epochs >= 1", std::to_string(c.epochs), {source});
  if (c.batch_size < 1) fail("train-config", "batch_size >= 1", std::to_string(c.batch_size), {source});
  if (c.workers < 0) fail("train-config", "workers >= 0", std::to_string(c.workers), {source});
  if (c.eval_every < 0) fail("train-config", "eval_every >= 0", std::to_string(c.eval_every), {source});
  return c;
}

TrainConfig train_config_from_json(const json& j, const std::string& source) { return apply_json(TrainConfig{}, j, source); }

TrainConfig load_train_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("train-config", "a readable JSON file", "cannot open it", {path});
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number too large (found by fuzz_config)
    fail("train-config", "valid JSON", e.what(), {path});
  }
  return train_config_from_json(j, path);
}

TrainConfig resolve_train_config(const std::string& path, const json& overrides) {
  TrainConfig c = path.empty() ? TrainConfig{} : load_train_config(path);
  return apply_json(c, overrides, "command line");
}

}  // namespace avtune
