#include "avtune/report/verdicts.h"

#include <fmt/format.h>

#include <algorithm>

namespace avtune {

using nlohmann::json;

namespace {

double num(const json& j) { return j.is_number() ? j.get<double>() : std::nan(""); }
json finite_or_null(double v) { return std::isfinite(v) ? json(v) : json(); }

std::string pct(const Estimate& e) {
  if (!std::isfinite(e.mean)) return "n/a";
  return e.n > 1 && std::isfinite(e.std) ? fmt::format("{:.1f} ± {:.1f}, n = {}", 100 * e.mean, 100 * e.std, e.n)
                                         : fmt::format("{:.1f}, n = {}", 100 * e.mean, e.n);
}

// rows[i][key] when present.
Estimate at(const json& rows, size_t i, const char* key) {
  if (!rows.is_array() || i >= rows.size() || !rows[i].is_object() || !rows[i].contains(key)) return {};
  return estimate_of(rows[i][key]);
}

std::string interval_text(const WelchInterval& d) {
  if (!std::isfinite(d.diff)) return "difference n/a";
  if (!d.valid()) return fmt::format("difference {:+.1f} points (no interval: fewer than 2 seeds)", 100 * d.diff);
  return fmt::format("difference {:+.1f} points, 95% CI [{:+.1f}, {:+.1f}]", 100 * d.diff, 100 * d.lo, 100 * d.hi);
}

std::string said(const Finding& f, double min_effect) {
  switch (f.outcome) {
    case Outcome::Held: return "held";
    case Outcome::Contradicted: return "is contradicted here (the interval excludes zero the other way)";
    case Outcome::Inconclusive:
      if (std::max(std::fabs(f.diff.lo), std::fabs(f.diff.hi)) < min_effect)
        return fmt::format("is inconclusive here (the interval contains zero; any effect is under {:.0f} points)",
                           100 * min_effect);
      return "is inconclusive here (the interval contains zero)";
    case Outcome::Unknown: break;
  }
  return "is unknown (numbers missing or fewer than 2 seeds)";
}

Finding make(const std::string& id, const std::string& a_label, const Estimate& a, const std::string& b_label,
             const Estimate& b, bool a_higher) {
  Finding f;
  f.id = id;
  f.a_label = a_label;
  f.b_label = b_label;
  f.a = a;
  f.b = b;
  f.a_higher = a_higher;
  f.diff = difference(a, b);
  f.outcome = verdict(f.diff, a_higher);
  return f;
}

json estimate_json(const std::string& label, const Estimate& e) {
  return {{"arm", label}, {"mean", finite_or_null(e.mean)}, {"std", finite_or_null(e.std)}, {"n", e.n}};
}

}  // namespace

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::Held: return "held";
    case Outcome::Contradicted: return "contradicted";
    case Outcome::Inconclusive: return "inconclusive";
    case Outcome::Unknown: break;
  }
  return "unknown";
}

Estimate estimate_of(const json& ms) {
  if (!ms.is_object()) return {};
  Estimate e{num(ms.value("mean", json())), num(ms.value("std", json())), 0};
  const json n = ms.value("n", json());
  if (n.is_number_integer() && n.get<int64_t>() > 0) e.n = n.get<size_t>();
  return e;
}

WelchInterval difference(const Estimate& a, const Estimate& b) {
  return welch_interval(a.mean, a.std, a.n, b.mean, b.std, b.n, 0.95);
}

Outcome verdict(const WelchInterval& d, bool a_higher) {
  if (!d.valid()) return Outcome::Unknown;
  if (d.lo > 0) return a_higher ? Outcome::Held : Outcome::Contradicted;
  if (d.hi < 0) return a_higher ? Outcome::Contradicted : Outcome::Held;
  return Outcome::Inconclusive;
}

bool needs_more_seeds(const WelchInterval& d, double min_effect) {
  return d.contains_zero() && std::max(std::fabs(d.lo), std::fabs(d.hi)) >= min_effect;
}

json Finding::to_json() const {
  return {{"id", id}, {"verdict", avtune::to_string(outcome)},
          {"expected", a_higher ? "a > b" : "a < b"},
          {"a", estimate_json(a_label, a)}, {"b", estimate_json(b_label, b)},
          {"difference", finite_or_null(diff.diff)}, {"ci95", {finite_or_null(diff.lo), finite_or_null(diff.hi)}},
          {"df", finite_or_null(diff.df)}, {"se", finite_or_null(diff.se)}, {"method", "welch"}, {"text", text}};
}

std::string verdict_rule_text(double min_effect) {
  return fmt::format(
      "Verdict rule: each finding compares two arms; the difference of their means over seeds has a 95% confidence "
      "interval from Welch's t (unequal variances, Welch–Satterthwaite degrees of freedom). **held**: the interval "
      "excludes zero in the paper's direction; **contradicted**: it excludes zero in the other direction; "
      "**inconclusive**: it contains zero; **unknown**: a number is missing or an arm has fewer than 2 seeds. Arms "
      "whose interval contains zero and reaches beyond ±{:.0f} points get extra seeds, up to the plan's cap.",
      100 * min_effect);
}

std::vector<Finding> study_findings(const json& r, double min_effect) {
  std::vector<Finding> out;
  // Row order is the plan's (study/plan.h): cross-modal variants random, pre-trained, ABRi per layer, ...;
  // joint audio inits random, other-modality, same-modality; FusT arms baseline, reference, symmetric, mean.
  if (r.contains("cross_modal") && r["cross_modal"].is_object()) {
    for (auto it = r["cross_modal"].begin(); it != r["cross_modal"].end(); ++it) {
      const auto& rows = it.value().value("rows", json::array());
      const std::string title = it.value().value("title", it.key());
      const Estimate rnd = at(rows, 0, "test_top1"), pre = at(rows, 1, "test_top1"), abri = at(rows, 2, "test_top1");
      Finding hurt = make("cross_modal_hurts/" + it.key(), "pre-trained", pre, "random", rnd, false);
      hurt.text = fmt::format("Cross-modal initialisation ({}): pre-trained init ({}) against random init ({}): {}. The "
                              "paper's finding that cross-modal pre-training can hurt {}.",
                              title, pct(pre), pct(rnd), interval_text(hurt.diff), said(hurt, min_effect));
      out.push_back(hurt);
      Finding abri_f = make("abri_helps/" + it.key(), "pre-trained + ABRi (per layer)", abri, "pre-trained", pre, true);
      abri_f.text = fmt::format("ABRi per layer ({}) against plain pre-trained init ({}) for the {}: {}. The paper's fix {}.",
                                pct(abri), pct(pre), title, interval_text(abri_f.diff), said(abri_f, min_effect));
      out.push_back(abri_f);
    }
  }
  if (r.contains("joint") && r["joint"].is_object()) {
    const auto& rows = r["joint"].value("rows", json::array());
    const Estimate j0 = at(rows, 0, "joint_top1"), j2 = at(rows, 2, "joint_top1");
    const Estimate v0 = at(rows, 0, "probe_visual"), v2 = at(rows, 2, "probe_visual");
    Finding up = make("joint_stronger_encoder", "same-modality audio init", j2, "random audio init", j0, true);
    up.text = fmt::format("Joint learning: joint accuracy with a same-modality pre-trained audio encoder ({}) against a "
                          "random one ({}): {}. The paper's finding that a stronger encoder raises the joint accuracy {}.",
                          pct(j2), pct(j0), interval_text(up.diff), said(up, min_effect));
    out.push_back(up);
    Finding down = make("joint_suppression", "same-modality audio init", v2, "random audio init", v0, false);
    down.text = fmt::format("Joint learning: the visual encoder's linear probe with that stronger audio encoder ({}) "
                            "against a random one ({}): {}. The paper's finding that the other encoder then learns less {}.",
                            pct(v2), pct(v0), interval_text(down.diff), said(down, min_effect));
    out.push_back(down);
  }
  if (r.contains("fust") && r["fust"].is_object()) {
    const auto& rows = r["fust"].value("rows", json::array());
    const Estimate base = at(rows, 0, "joint_top1"), sym = at(rows, 2, "joint_top1");
    Finding f = make("fust_improves", "FusT, symmetric rule", sym, "joint baseline", base, true);
    f.text = fmt::format("Fusion Tuning: the symmetric rule ({}) against the joint baseline ({}): {}. The paper's claim "
                         "that Fusion Tuning improves joint learning {}.",
                         pct(sym), pct(base), interval_text(f.diff), said(f, min_effect));
    out.push_back(f);
    // The field's balancing methods and FusT's best setting on validation against the same baseline (issue 19).
    for (size_t i = 1; i < rows.size(); ++i) {
      const std::string method = rows[i].value("method", std::string());
      if (method != "balance" && method != "fust-best-val") continue;
      const std::string label = rows[i].value("arm", std::string("?"));
      const Estimate a = at(rows, i, "joint_top1");
      Finding b = make("beats_baseline/" + rows[i].value("key", std::to_string(i)), label, a, "joint baseline", base, true);
      b.text = fmt::format("{} ({}) against the joint baseline from the same stage-1 encoders ({}): {}. That it beats "
                           "the baseline {}.",
                           label, pct(a), pct(base), interval_text(b.diff), said(b, min_effect));
      out.push_back(b);
    }
  }
  return out;
}

std::string baseline_sentence(const std::vector<Finding>& findings) {
  std::vector<std::string> above, below, open, unknown;
  for (const auto& f : findings) {
    if (f.id != "fust_improves" && f.id.rfind("beats_baseline/", 0) != 0) continue;
    const std::string item =
        f.diff.valid() ? fmt::format("{} ({:+.1f} [{:+.1f}, {:+.1f}])", f.a_label, 100 * f.diff.diff, 100 * f.diff.lo, 100 * f.diff.hi)
                       : f.a_label;
    switch (f.outcome) {
      case Outcome::Held: above.push_back(item); break;
      case Outcome::Contradicted: below.push_back(item); break;
      case Outcome::Inconclusive: open.push_back(item); break;
      case Outcome::Unknown: unknown.push_back(item); break;
    }
  }
  if (above.empty() && below.empty() && open.empty() && unknown.empty()) return "";
  const auto list = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : "; ") + x;
    return s.empty() ? std::string("none") : s;
  };
  std::string t = fmt::format(
      "Against the joint baseline (no masks, same stage-1 encoders), joint top-1 difference in points with its 95% "
      "interval, at this scale: **beat it** (interval above zero): {}. **Below it** (interval below zero): {}. "
      "**Inconclusive** (interval contains zero): {}.",
      list(above), list(below), list(open));
  if (!unknown.empty()) t += fmt::format(" No interval yet (fewer than 2 seeds): {}.", list(unknown));
  return t;
}

}  // namespace avtune
