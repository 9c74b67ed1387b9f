#pragma once
// The study report's conclusions as code: each of the paper's findings the study tests is a
// comparison of two arms over seeds — the difference of their means with its 95% Welch interval
// (report/interval.h) — and one of three verdicts (docs/report.md, "Verdicts"):
//   held          the interval excludes zero in the paper's direction;
//   contradicted  it excludes zero in the other direction;
//   inconclusive  it contains zero;
// plus "unknown" when a number is missing or an arm has fewer than 2 seeds (no interval exists).
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "avtune/report/interval.h"

namespace avtune {

enum class Outcome { Held, Contradicted, Inconclusive, Unknown };
const char* to_string(Outcome o);  // "held", "contradicted", "inconclusive", "unknown"

// One arm's summary as results.json writes it: {"mean", "std", "n"}.
struct Estimate {
  double mean = std::nan(""), std = std::nan("");
  size_t n = 0;
};
// {"mean", "std", "n"} (null / missing -> NaN; a missing n -> 0, i.e. no interval).
Estimate estimate_of(const nlohmann::json& mean_std_n);

// The difference a - b and its 95% interval.
WelchInterval difference(const Estimate& a, const Estimate& b);
// The verdict of a difference whose sign the paper predicts (`a_higher`: a above b).
Outcome verdict(const WelchInterval& d, bool a_higher);

// The smallest difference of accuracy the study treats as mattering (a fraction; 2 points by default,
// about one binomial standard error of one run's accuracy on the 600 test clips). Seeds are added only
// where the interval contains zero and reaches beyond +-min_effect (docs/reproduce.md, "Seeds").
inline constexpr double kDefaultMinEffect = 0.02;
bool needs_more_seeds(const WelchInterval& d, double min_effect);

struct Finding {
  std::string id;        // e.g. "cross_modal_hurts/audio_from_visual"
  std::string a_label, b_label;  // the two arms compared (a - b)
  Estimate a, b;
  bool a_higher = true;  // the paper's direction
  WelchInterval diff;
  Outcome outcome = Outcome::Unknown;
  std::string text;      // one sentence with the numbers, for the report
  nlohmann::json to_json() const;  // results.json "findings"[]
};

// The rules (each finding appears only when its experiment is in the results; rows in the plan's order):
//   cross_modal_hurts/<dir>: plain pre-trained init below random init (rows 1 vs 0; Fig. 1a);
//   abri_helps/<dir>: ABRi per layer above plain pre-trained init (rows 2 vs 1; ABRi);
//   joint_stronger_encoder: joint accuracy with a same-modality pre-trained audio encoder above that
//     with a random one (rows 2 vs 0; Fig. 1b);
//   joint_suppression: the visual encoder's linear probe lower with that stronger audio encoder (Fig. 1b);
//   fust_improves: Fusion Tuning's symmetric rule above the unmasked joint baseline (arms 2 vs 0);
//   beats_baseline/<key>: each Fusion Tuning row whose "method" is "balance" (OGM-GE, OPM, UMT) or
//     "fust-best-val" (the FusT setting chosen on validation) above that baseline (the methods' own claim).
// `min_effect` only words the text of an inconclusive finding whose interval lies within +-min_effect.
std::vector<Finding> study_findings(const nlohmann::json& results, double min_effect = kDefaultMinEffect);

// Which methods beat the joint baseline at this scale, from fust_improves and the beats_baseline/ findings:
// one paragraph listing those whose interval lies above zero, below zero, or contains it (empty without them).
std::string baseline_sentence(const std::vector<Finding>& findings);

// The rule in one paragraph, printed in the report.
std::string verdict_rule_text(double min_effect);

}  // namespace avtune
