#pragma once
// Allowed ranges of numeric settings, declared next to the settings (train/train_config.h,
// run/run_spec.h) and checked for config files and command-line flags alike: a NaN learning rate or
// a negative seed would otherwise be accepted and train garbage.
#include <nlohmann/json.hpp>

#include <cmath>
#include <string>

namespace avtune {

struct ValueRange {
  double lo, hi;
  bool lo_open = false, hi_open = false;  // open: the bound itself is excluded
};

// "" when `v` (a number, or an array of numbers) is finite and inside `r`; else what was expected.
inline std::string range_problem(const nlohmann::json& v, const ValueRange& r) {
  auto text = [&r] {
    auto num = [](double x) {
      std::string s = nlohmann::json(x).dump();
      if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
      return s;
    };
    if (std::isinf(r.hi) && std::isinf(r.lo)) return std::string("a finite number");
    if (std::isinf(r.hi)) return std::string("a finite number ") + (r.lo_open ? "> " : ">= ") + num(r.lo);
    return "a number in " + std::string(r.lo_open ? "(" : "[") + num(r.lo) + ", " + num(r.hi) + (r.hi_open ? ")" : "]");
  };
  auto bad = [&r](double x) {
    return !std::isfinite(x) || x < r.lo || x > r.hi || (r.lo_open && x == r.lo) || (r.hi_open && x == r.hi);
  };
  if (v.is_array()) {
    for (const auto& e : v)
      if (e.is_number() && bad(e.get<double>())) return text();
    return "";
  }
  if (v.is_number() && bad(v.get<double>())) return text();
  return "";
}

constexpr double kNoLimit = HUGE_VAL;

}  // namespace avtune
