#include "avtune/report/verdicts.h"

#include <fmt/format.h>

#include <algorithm>

namespace avtune {

using nlohmann::json;

namespace {

double num(const json& j) { return j.is_number() ? j.get<double>() : std::nan(""); }

std::string pct(const Estimate& e) {
  if (!std::isfinite(e.mean)) return "n/a";
  return std::isfinite(e.std) && e.std > 0 ? fmt::format("{:.1f} ± {:.1f}", 100 * e.mean, 100 * e.std)
                                           : fmt::format("{:.1f}", 100 * e.mean);
}

// rows[i][key] when present.
Estimate at(const json& rows, size_t i, const char* key) {
  if (!rows.is_array() || i >= rows.size() || !rows[i].is_object() || !rows[i].contains(key)) return {};
  return estimate_of(rows[i][key]);
}

std::string said(Outcome o) {
  switch (o) {
    case Outcome::Held: return "held";
    case Outcome::DidNotHold: return "did not hold here (the opposite showed)";
    case Outcome::WithinNoise: return "is within noise here";
    case Outcome::Unknown: break;
  }
  return "is unknown (numbers missing)";
}

}  // namespace

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::Held: return "held";
    case Outcome::DidNotHold: return "did not hold";
    case Outcome::WithinNoise: return "within noise";
    case Outcome::Unknown: break;
  }
  return "unknown";
}

const char* to_string(Gap g) {
  switch (g) {
    case Gap::Higher: return "higher than";
    case Gap::Lower: return "lower than";
    case Gap::WithinNoise: return "within noise of";
    case Gap::Unknown: break;
  }
  return "unknown against";
}

Estimate estimate_of(const json& ms) {
  if (!ms.is_object()) return {};
  return {num(ms.value("mean", json())), num(ms.value("std", json()))};
}

Gap compare(const Estimate& a, const Estimate& b) {
  if (!std::isfinite(a.mean) || !std::isfinite(b.mean)) return Gap::Unknown;
  const double bar = std::max(std::isfinite(a.std) ? a.std : 0.0, std::isfinite(b.std) ? b.std : 0.0);
  if (a.mean - b.mean > bar) return Gap::Higher;
  if (b.mean - a.mean > bar) return Gap::Lower;
  return Gap::WithinNoise;
}

Outcome expect(const Estimate& a, const Estimate& b, bool a_higher) {
  switch (compare(a, b)) {
    case Gap::Unknown: return Outcome::Unknown;
    case Gap::WithinNoise: return Outcome::WithinNoise;
    case Gap::Higher: return a_higher ? Outcome::Held : Outcome::DidNotHold;
    case Gap::Lower: break;
  }
  return a_higher ? Outcome::DidNotHold : Outcome::Held;
}

std::vector<Finding> study_findings(const json& r) {
  std::vector<Finding> out;
  // Row order is the plan's (study/plan.h): cross-modal variants random, pre-trained, ABRi per layer, ...;
  // joint audio inits random, other-modality, same-modality; FusT arms baseline, reference, symmetric, mean.
  if (r.contains("cross_modal") && r["cross_modal"].is_object()) {
    for (auto it = r["cross_modal"].begin(); it != r["cross_modal"].end(); ++it) {
      const auto& rows = it.value().value("rows", json::array());
      const std::string title = it.value().value("title", it.key());
      const Estimate rnd = at(rows, 0, "test_top1"), pre = at(rows, 1, "test_top1"), abri = at(rows, 2, "test_top1");
      Finding hurt{"cross_modal_hurts/" + it.key(), expect(pre, rnd, false), ""};
      hurt.text = fmt::format("Cross-modal initialisation ({}): pre-trained init ({}) is {} random init ({}). The paper's "
                              "finding that cross-modal pre-training can hurt {}.",
                              title, pct(pre), to_string(compare(pre, rnd)), pct(rnd), said(hurt.outcome));
      out.push_back(hurt);
      Finding abri_f{"abri_helps/" + it.key(), expect(abri, pre, true), ""};
      abri_f.text = fmt::format("ABRi per layer ({}) is {} plain pre-trained init ({}) for the {}. The paper's fix {}.",
                                pct(abri), to_string(compare(abri, pre)), pct(pre), title, said(abri_f.outcome));
      out.push_back(abri_f);
    }
  }
  if (r.contains("joint") && r["joint"].is_object()) {
    const auto& rows = r["joint"].value("rows", json::array());
    const Estimate j0 = at(rows, 0, "joint_top1"), j2 = at(rows, 2, "joint_top1");
    const Estimate v0 = at(rows, 0, "probe_visual"), v2 = at(rows, 2, "probe_visual");
    Finding up{"joint_stronger_encoder", expect(j2, j0, true), ""};
    up.text = fmt::format("Joint learning: with a same-modality pre-trained audio encoder the joint accuracy ({}) is {} that "
                          "with a random one ({}). The paper's finding that a stronger encoder raises the joint accuracy {}.",
                          pct(j2), to_string(compare(j2, j0)), pct(j0), said(up.outcome));
    out.push_back(up);
    Finding down{"joint_suppression", expect(v2, v0, false), ""};
    down.text = fmt::format("Joint learning: the visual encoder's linear probe with that stronger audio encoder ({}) is {} "
                            "that with a random one ({}). The paper's finding that the other encoder then learns less {}.",
                            pct(v2), to_string(compare(v2, v0)), pct(v0), said(down.outcome));
    out.push_back(down);
  }
  if (r.contains("fust") && r["fust"].is_object()) {
    const auto& rows = r["fust"].value("rows", json::array());
    const Estimate base = at(rows, 0, "joint_top1"), sym = at(rows, 2, "joint_top1");
    std::string best_name = "n/a";
    double best = std::nan("");
    for (size_t i = 1; i < rows.size(); ++i) {
      const double m = at(rows, i, "joint_top1").mean;
      if (std::isfinite(m) && !(m <= best)) {
        best = m;
        best_name = rows[i].value("arm", std::string("?"));
      }
    }
    Finding f{"fust_improves", expect(sym, base, true), ""};
    f.text = fmt::format("Fusion Tuning: the symmetric rule ({}) is {} the joint baseline ({}); the best arm is {} ({}). The "
                         "paper's claim that Fusion Tuning improves joint learning {}.",
                         pct(sym), to_string(compare(sym, base)), pct(base), best_name, pct({best, std::nan("")}),
                         said(f.outcome));
    out.push_back(f);
  }
  return out;
}

}  // namespace avtune
