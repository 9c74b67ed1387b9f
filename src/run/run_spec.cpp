#include "avtune/run/run_spec.h"

#include <fmt/format.h>

#include <set>

#include "avtune/util/error.h"
#include "avtune/util/json_fields.h"

namespace avtune {

using nlohmann::json;

namespace {

template <typename S>
S settings_from_json(const json& j, const std::string& section, const std::string& source) {
  S s;
  if (j.is_null()) return s;
  if (!j.is_object()) fail("config", "the " + section + " section to be a JSON object", j.dump(), {source});
  std::set<std::string> known;
  for_each_field(s, [&](const char* key, const char*, const char*, auto& member) {
    known.insert(key);
    if (j.contains(key)) read_json_field(j.at(key), member, key, source);
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
  return settings_from_json<DataSettings>(j, "data", source);
}
ModelSettings model_settings_from_json(const json& j, const std::string& source) {
  return settings_from_json<ModelSettings>(j, "model", source);
}
json to_json(const DataSettings& d) { return settings_to_json(d); }
json to_json(const ModelSettings& m) { return settings_to_json(m); }
std::vector<FieldInfo> data_fields() { return fields_of<DataSettings>(); }
std::vector<FieldInfo> model_fields() { return fields_of<ModelSettings>(); }

}  // namespace avtune
