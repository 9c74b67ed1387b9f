#pragma once
// The study report's conclusions as code: each of the paper's findings the study tests becomes a rule
// over results.json's numbers with one of four outcomes. "Higher"/"lower" means the gap between the
// two means exceeds the larger of their standard deviations: a stated, rough bar, not a significance
// test (docs/report.md).
#include <nlohmann/json.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace avtune {

enum class Outcome {
  Held,         // the gap points the paper's way and clears the bar
  DidNotHold,   // the gap points the other way and clears the bar
  WithinNoise,  // the gap does not clear the bar
  Unknown,      // a number is missing (not run, or NaN)
};
const char* to_string(Outcome o);  // "held", "did not hold", "within noise", "unknown"

struct Estimate {
  double mean = std::nan(""), std = std::nan("");
};
// {"mean", "std"} as results.json writes it (null / missing -> NaN).
Estimate estimate_of(const nlohmann::json& mean_std);

enum class Gap { Higher, Lower, WithinNoise, Unknown };
// a against b with the bar max(std_a, std_b) (a NaN std counts as 0).
Gap compare(const Estimate& a, const Estimate& b);
const char* to_string(Gap g);  // "higher than", "lower than", "within noise of", "unknown against"

// The paper expects `a` above `b` (`a_higher`) or below it.
Outcome expect(const Estimate& a, const Estimate& b, bool a_higher);

struct Finding {
  std::string id;    // e.g. "cross_modal_hurts/audio_from_visual"
  Outcome outcome = Outcome::Unknown;
  std::string text;  // one sentence with the numbers, for the report
};

// The rules (each finding appears only when its experiment is in the results):
//   cross_modal_hurts/<dir>: plain pre-trained init below random init (the paper's motivating experiment, Fig. 1a);
//   abri_helps/<dir>: ABRi per layer above plain pre-trained init (the paper's ABRi);
//   joint_stronger_encoder: joint accuracy with a same-modality pre-trained audio encoder above
//     that with a random one (Fig. 1b);
//   joint_suppression: the visual encoder's linear probe lower with that stronger audio encoder (Fig. 1b);
//   fust_improves: Fusion Tuning's symmetric rule above the unmasked joint baseline (the paper's Fusion Tuning).
std::vector<Finding> study_findings(const nlohmann::json& results);

}  // namespace avtune
