#include "avtune/report/compare.h"

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "avtune/report/verdicts.h"

namespace avtune {

using nlohmann::json;

namespace {

std::string interval(const Finding& f) {
  if (!f.diff.valid()) return "n/a";
  return fmt::format("{:+.1f} [{:+.1f}, {:+.1f}] (n {}/{})", 100 * f.diff.diff, 100 * f.diff.lo, 100 * f.diff.hi, f.a.n,
                     f.b.n);
}

double min_effect_of(const json& r) {
  const json p = r.value("plan", json::object());
  return p.value("min_effect", json()).is_number() ? p["min_effect"].get<double>() : kDefaultMinEffect;
}

}  // namespace

std::vector<VerdictPair> compare_verdicts(const json& ra, const json& rb) {
  const auto fa = study_findings(ra, min_effect_of(ra)), fb = study_findings(rb, min_effect_of(rb));
  std::map<std::string, const Finding*> by_id_b;
  for (const auto& f : fb) by_id_b[f.id] = &f;
  std::vector<VerdictPair> out;
  std::map<std::string, bool> seen;
  for (const auto& f : fa) {
    VerdictPair p{f.id, to_string(f.outcome), "absent", interval(f), "n/a", false};
    const auto it = by_id_b.find(f.id);
    if (it != by_id_b.end()) {
      p.verdict_b = to_string(it->second->outcome);
      p.interval_b = interval(*it->second);
    }
    p.agree = p.verdict_a == p.verdict_b;
    seen[f.id] = true;
    out.push_back(p);
  }
  for (const auto& f : fb)
    if (!seen.count(f.id)) out.push_back({f.id, "absent", to_string(f.outcome), "n/a", interval(f), false});
  return out;
}

std::string verdict_comparison_table(const std::vector<VerdictPair>& rows, const std::string& a, const std::string& b) {
  std::string s = fmt::format("| finding | {} | difference, 95% CI (points) | {} | difference, 95% CI (points) | same verdict |\n"
                              "|---|---|---|---|---|---|\n",
                              a, b);
  int agree = 0;
  for (const auto& r : rows) {
    agree += r.agree;
    s += fmt::format("| {} | {} | {} | {} | {} | {} |\n", r.id, r.verdict_a, r.interval_a, r.verdict_b, r.interval_b,
                     r.agree ? "yes" : "no");
  }
  s += fmt::format("\nverdicts agree on {} of {} findings\n", agree, rows.size());
  return s;
}

}  // namespace avtune
