#pragma once
// Fusion Tuning's per-sample masking ratios (the paper's Fusion Tuning; docs/fusion_tuning.md): from each training sample's mean
// stage-1 confidence in the audio and the visual model, how much of each modality stage 2 masks.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace avtune {

enum class MaskRule {
  Reference,  // the released rule: masks audio when the visual model is confident; never visual
  Symmetric,  // the paper's intent: masks the more confident modality, by the confidence gap
};
MaskRule parse_mask_rule(const std::string& s);  // reference|symmetric
std::string to_string(MaskRule r);

struct MaskRuleConfig {
  MaskRule rule = MaskRule::Symmetric;
  // Mean mode, as the reference: every sample gets the data set's mean of the raw (possibly negative)
  // ratios, and a modality is masked only when that mean is positive (docs/fusion_tuning.md).
  bool mean_mode = false;
  // With mean_mode: average the ratios clamped at 0 instead (avtune before issue 16). Masks every
  // sample a little whenever one sample is masked; not the paper's rule.
  bool mean_of_clamped = false;
  double tau = 0.5;        // a sample is "easy" when a modality's confidence reaches tau
  double eta_audio = 3.0, eta_visual = 3.0;  // slopes of tanh
  double rho_audio = 0.5, rho_visual = 0.5;  // largest ratios
};

// {"rule", "mean_mode", "mean_of_clamped", "tau", "eta_audio", "eta_visual", "rho_audio", "rho_visual"}
// (the study plan's keys). mask_rule_from_json is its inverse: absent keys keep the defaults above;
// an unknown key or a wrong type throws avtune::Error naming the key (`where`: the file, if any).
nlohmann::json to_json(const MaskRuleConfig& r);
MaskRuleConfig mask_rule_from_json(const nlohmann::json& j, const std::string& where = "");

struct SampleConfidence {
  std::string name;
  int64_t label = -1;
  double audio = 0, visual = 0;  // mean true-class confidence over stage-1 epochs
};

struct MaskRatio {
  double audio = 0, visual = 0;  // fraction of patches masked, in [0, 1)
};

// The rule for one sample before the "ratio <= 0 means no mask" step: the reference rule's tanh can be
// negative. Mean mode averages these.
MaskRatio raw_mask_ratio(const MaskRuleConfig& cfg, double c_audio, double c_visual);
// The rule for one sample (before mean mode). Ratios <= 0 become 0 ("no mask").
MaskRatio mask_ratio(const MaskRuleConfig& cfg, double c_audio, double c_visual);
// Every sample's ratio, mean mode applied; never negative.
std::vector<MaskRatio> mask_ratios(const MaskRuleConfig& cfg, const std::vector<SampleConfidence>& conf);

struct MaskSummary {
  size_t samples = 0, audio_masked = 0, visual_masked = 0;
  double mean_audio = 0, mean_visual = 0, max_audio = 0, max_visual = 0;
  std::string text() const;
};
MaskSummary summarize(const std::vector<MaskRatio>& ratios);

// confidences.csv: "name,label,audio,visual" (stage 1's output). Numbers are written in their shortest
// round-trip form, so they read back exactly (a ratio just below k/512 must not become k/512).
// Errors name the file and line.
void write_confidences_csv(const std::string& path, const std::vector<SampleConfidence>& conf);
std::vector<SampleConfidence> read_confidences_csv(const std::string& path);

// Per-sample mean over epochs of two stage-1 runs (name -> confidence per epoch); a sample must be
// in both, with its label from `labels`.
std::vector<SampleConfidence> join_confidences(const std::map<std::string, std::vector<float>>& audio,
                                               const std::map<std::string, std::vector<float>>& visual,
                                               const std::map<std::string, int64_t>& labels);

// ratios.csv: "name,label,conf_audio,conf_visual,ratio_audio,ratio_visual".
void write_mask_ratios_csv(const std::string& path, const std::vector<SampleConfidence>& conf,
                           const std::vector<MaskRatio>& ratios);
// name -> ratio, from a ratios.csv. Errors name the file, the line and what was expected.
std::map<std::string, MaskRatio> read_mask_ratios_csv(const std::string& path);

}  // namespace avtune
