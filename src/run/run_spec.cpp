#include "avtune/run/run_spec.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "avtune/run/dataset_presets.h"
#include "avtune/util/error.h"
#include "avtune/util/json_fields.h"
#include "avtune/util/value_range.h"

namespace avtune {

using nlohmann::json;

std::string setting_problem(const std::string& section, const std::string& key, const json& v) {
  static const std::map<std::string, ValueRange> kRanges = {
      {"data.frames", {1, kNoLimit}},      {"data.image_size", {1, kNoLimit}}, {"data.audio_frames", {1, kNoLimit}},
      {"data.mel_bins", {1, kNoLimit}},    {"data.fbank_std", {0, kNoLimit, true}},
      {"model.depth", {1, kNoLimit}},      {"model.width", {0, kNoLimit, true}}, {"model.abri_alpha", {0, 1}},
      {"model.bn_reset_threshold", {0, kNoLimit}}, {"model.classes", {0, kNoLimit}},
  };
  auto it = kRanges.find(section + "." + key);
  return it == kRanges.end() ? range_problem(v, {-kNoLimit, kNoLimit}) : range_problem(v, it->second);
}

namespace {

template <typename S>
S settings_from_json(const json& j, const std::string& section, const std::string& source) {
  S s;
  if (j.is_null()) return s;
  if (!j.is_object()) fail("config", "the " + section + " section to be a JSON object", json_excerpt(j), {source});
  std::set<std::string> known;
  for_each_field(s, [&](const char* key, const char*, const char*, auto& member) {
    known.insert(key);
    if (!j.contains(key)) return;
    read_json_field(j.at(key), member, key, source);
    if (auto p = setting_problem(section, key, j.at(key)); !p.empty())
      fail("config", "'" + std::string(key) + "' to be " + p, json_excerpt(j.at(key)), {source});
  });
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!known.count(it.key())) {
      std::string keys;
      for (const auto& k : known) keys += (keys.empty() ? "" : ", ") + k;
      fail("config", fmt::format("a {} key ({})", section, keys), "unknown key '" + it.key() + "'", {source});
    }
  return s;
}

template <typename S>
json settings_to_json(const S& s) {
  json j = json::object();
  S copy = s;  // for_each_field visits mutable members
  for_each_field(copy, [&](const char* key, const char*, const char*, auto& member) { j[key] = member; });
  return j;
}

template <typename S>
std::vector<FieldInfo> fields_of() {
  std::vector<FieldInfo> out;
  S s;
  for_each_field(s, [&](const char* key, const char* flag, const char* help, auto& member) {
    out.push_back({key, flag, help, json_field_text(member)});
  });
  return out;
}

}  // namespace

DataSettings data_settings_from_json(const json& j, const std::string& source) {
  // A preset's keys first; those the section gives win.
  json merged = j;
  if (j.is_object() && j.contains("preset") && j["preset"].is_string() && !j["preset"].get<std::string>().empty()) {
    merged = dataset_preset(j["preset"].get<std::string>());
    merged.update(j);
  }
  DataSettings d = settings_from_json<DataSettings>(merged, "data", source);
  // Numbers someone wrote down are used as they are (older configs, flags, the study's sections).
  if (j.is_object() && !j.contains("fbank_stats") && (j.contains("fbank_mean") || j.contains("fbank_std")))
    d.fbank_stats = "given";
  if (d.fbank_stats != "train" && d.fbank_stats != "given" && d.fbank_stats != "measured")
    fail("config", "'fbank_stats' to be train|given|measured", "'" + d.fbank_stats + "'", {source});
  return d;
}
ModelSettings model_settings_from_json(const json& j, const std::string& source) {
  return settings_from_json<ModelSettings>(j, "model", source);
}
json to_json(const DataSettings& d) { return settings_to_json(d); }
json to_json(const ModelSettings& m) { return settings_to_json(m); }
std::vector<FieldInfo> data_fields() { return fields_of<DataSettings>(); }
std::vector<FieldInfo> model_fields() { return fields_of<ModelSettings>(); }

}  // namespace avtune
