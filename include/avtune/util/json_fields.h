#pragma once
// Reading and writing one typed settings field as JSON, shared by the settings structs that declare
// their fields once in a for_each_field visitor (train/train_config.h, run/run_spec.h).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "avtune/util/error.h"
#include "avtune/util/json_excerpt.h"

namespace avtune {

template <typename T>
std::string json_field_type() {
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  else if constexpr (std::is_same_v<T, std::vector<int64_t>>) return "a list of integers";
  else if constexpr (std::is_same_v<T, std::vector<std::string>>) return "a list of strings";
  else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) return "a non-negative integer";
  else if constexpr (std::is_integral_v<T>) return "an integer";
  else if constexpr (std::is_floating_point_v<T>) return "a number";
  else return "a string";
}

// v -> out, or avtune::Error naming `key`, the expected type and `source` (a file or "command line").
template <typename T>
void read_json_field(const nlohmann::json& v, T& out, const std::string& key, const std::string& source) {
  bool ok;
  if constexpr (std::is_same_v<T, bool>) ok = v.is_boolean();
  else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
    ok = v.is_array();
    if (ok)
      for (const auto& e : v) ok = ok && e.is_number_integer();
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    ok = v.is_array();
    if (ok)
      for (const auto& e : v) ok = ok && e.is_string();
  } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>)
    ok = v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
  else if constexpr (std::is_integral_v<T>) ok = v.is_number_integer();
  else if constexpr (std::is_floating_point_v<T>) ok = v.is_number();
  else ok = v.is_string();
  if (!ok) fail("config", fmt::format("'{}' to be {}", key, json_field_type<T>()), json_excerpt(v), {source});
  out = v.get<T>();
}

// A field's value as help text shows it ("224", "0.5", "true", "sgd", "1,2").
template <typename T>
std::string json_field_text(const T& v) {
  if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
  else if constexpr (std::is_same_v<T, std::vector<int64_t>> || std::is_same_v<T, std::vector<std::string>>)
    return fmt::format("{}", fmt::join(v, ","));
  else if constexpr (std::is_arithmetic_v<T>) return fmt::format("{}", v);
  else return v;
}

}  // namespace avtune
