// The sweep's settings: the grid, random draws, their names and the choice on validation (study/sweep.h).
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <random>
#include <sstream>

#include "avtune/study/sweep.h"
#include "avtune/util/error.h"

namespace avtune {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  return out;
}

std::vector<double> numbers(const std::string& key, const std::string& values) {
  std::vector<double> out;
  for (const auto& v : split(values, ',')) {
    size_t used = 0;
    double d = 0;
    try {
      d = std::stod(v, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != v.size() || v.empty() || !std::isfinite(d) || d < 0)
      fail("sweep", "--grid " + key + "= to list non-negative numbers", "'" + v + "'");
    out.push_back(d);
  }
  return out;
}

// Shortest form that reads back (0.15, not 0.150000).
std::string num(double v) { return fmt::format("{}", v); }

}  // namespace

SweepGrid parse_sweep_grid(const std::string& spec) {
  SweepGrid g;
  bool eta_split = false, rho_split = false;
  for (const auto& part : split(spec, ';')) {
    if (part.empty()) continue;
    const auto eq = part.find('=');
    if (eq == std::string::npos || eq + 1 == part.size())
      fail("sweep", "--grid as key=v1,v2;key=... (keys rule, mean, tau, eta, eta_a, eta_v, rho, rho_a, rho_v)",
           "'" + part + "'");
    const std::string key = part.substr(0, eq), values = part.substr(eq + 1);
    if (key == "rule") {
      g.rules.clear();
      for (const auto& v : split(values, ',')) {
        if (v != "reference" && v != "symmetric") fail("sweep", "--grid rule= to list reference|symmetric", "'" + v + "'");
        g.rules.push_back(parse_mask_rule(v));
      }
    } else if (key == "mean") {
      g.mean_modes.clear();
      for (const auto& v : split(values, ',')) {
        if (v != "off" && v != "on") fail("sweep", "--grid mean= to list off|on", "'" + v + "'");
        g.mean_modes.push_back(v == "on");
      }
    } else if (key == "tau") {
      g.tau = numbers(key, values);
    } else if (key == "eta") {
      g.eta_audio = g.eta_visual = numbers(key, values);
    } else if (key == "eta_a" || key == "eta_v") {
      (key == "eta_a" ? g.eta_audio : g.eta_visual) = numbers(key, values);
      eta_split = true;
    } else if (key == "rho") {
      g.rho_audio = g.rho_visual = numbers(key, values);
    } else if (key == "rho_a" || key == "rho_v") {
      (key == "rho_a" ? g.rho_audio : g.rho_visual) = numbers(key, values);
      rho_split = true;
    } else {
      fail("sweep", "--grid keys rule|mean|tau|eta|eta_a|eta_v|rho|rho_a|rho_v", "'" + key + "'");
    }
  }
  g.tie_eta = !eta_split;
  g.tie_rho = !rho_split;
  return g;
}

std::vector<MaskRuleConfig> enumerate_sweep_grid(const SweepGrid& g) {
  std::vector<MaskRuleConfig> out;
  for (const auto rule : g.rules)
    for (const bool mean : g.mean_modes)
      for (const double tau : g.tau)
        for (size_t ea = 0; ea < g.eta_audio.size(); ++ea)
          for (size_t ev = 0; ev < (g.tie_eta ? 1 : g.eta_visual.size()); ++ev)
            for (size_t ra = 0; ra < g.rho_audio.size(); ++ra)
              for (size_t rv = 0; rv < (g.tie_rho ? 1 : g.rho_visual.size()); ++rv) {
                // The reference rule never masks visual: its visual eta/rho change nothing.
                if (rule == MaskRule::Reference && (ev > 0 || rv > 0)) continue;
                MaskRuleConfig r;
                r.rule = rule;
                r.mean_mode = mean;
                r.tau = tau;
                r.eta_audio = g.eta_audio[ea];
                r.eta_visual = g.tie_eta ? g.eta_audio[ea] : g.eta_visual[ev];
                r.rho_audio = g.rho_audio[ra];
                r.rho_visual = g.tie_rho ? g.rho_audio[ra] : g.rho_visual[rv];
                out.push_back(r);
              }
  if (out.empty()) fail("sweep", "--grid to give at least one setting", "none (a key lists no value)");
  return out;
}

std::vector<MaskRuleConfig> random_sweep_settings(int n, uint64_t seed) {
  if (n <= 0) fail("sweep", "--random N with N > 0", std::to_string(n));
  std::mt19937_64 gen(seed);
  // Own mapping of the 64-bit draws (std::uniform_real_distribution differs between standard libraries).
  const auto uniform = [&](double lo, double hi) {
    const double u = static_cast<double>(gen() >> 11) * 0x1.0p-53;
    return std::round((lo + u * (hi - lo)) * 100) / 100;
  };
  std::vector<MaskRuleConfig> out;
  for (int i = 0; i < n; ++i) {
    MaskRuleConfig r;
    r.rule = (gen() >> 63) ? MaskRule::Symmetric : MaskRule::Reference;
    r.mean_mode = (gen() >> 63) != 0;
    r.tau = uniform(0.3, 0.9);
    r.eta_audio = uniform(0.5, 6);
    r.eta_visual = uniform(0.5, 6);
    r.rho_audio = uniform(0.05, 0.8);
    r.rho_visual = uniform(0.05, 0.8);
    out.push_back(r);
  }
  return out;
}

std::string sweep_key(const MaskRuleConfig& r) {
  return fmt::format("{}{}-t{}-ea{}-ev{}-ra{}-rv{}", r.rule == MaskRule::Reference ? "ref" : "sym",
                     r.mean_mode ? (r.mean_of_clamped ? "-meanclamped" : "-mean") : "", num(r.tau), num(r.eta_audio),
                     num(r.eta_visual), num(r.rho_audio), num(r.rho_visual));
}

std::string sweep_label(const MaskRuleConfig& r) {
  const std::string base = fmt::format("{}{}, τ={}", to_string(r.rule), r.mean_mode ? " mean" : "", num(r.tau));
  if (r.rule == MaskRule::Reference) return base + fmt::format(", η_a={}, ρ_a={}", num(r.eta_audio), num(r.rho_audio));
  return base + fmt::format(", η={}/{}, ρ={}/{}", num(r.eta_audio), num(r.eta_visual), num(r.rho_audio), num(r.rho_visual));
}

size_t pick_sweep_best(const std::vector<SweepRow>& rows) {
  size_t best = rows.size();
  MeanStd bm;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].masked) continue;
    const MeanStd m = mean_std(rows[i].val);
    if (!std::isfinite(m.mean)) continue;
    const bool better = best == rows.size() || m.mean > bm.mean + 1e-12 ||
                        (std::abs(m.mean - bm.mean) <= 1e-12 && m.std < bm.std - 1e-12);
    if (better) {
      best = i;
      bm = m;
    }
  }
  if (best == rows.size()) fail("sweep", "a masked setting with a validation top-1", "none");
  return best;
}

}  // namespace avtune
