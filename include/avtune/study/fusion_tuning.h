#pragma once
// Two-stage Fusion Tuning (the paper's Fusion Tuning, Fig. 4): stage 1 fine-tunes each encoder alone from its
// same-modality source model and records each training sample's confidence; stage 2 trains the joint
// model from both stage-1 encoders without masks (the baseline), with the plan's mask rules and with the
// modality-balancing baselines (study/fust_stage2.h), each with linear probes of both encoders.
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "avtune/methods/fusion_masks.h"
#include "avtune/study/context.h"
#include "avtune/study/scheduler.h"

namespace avtune {

struct FusionArmResult {
  std::string name, key;
  bool masked = false;
  std::string balance = "none";  // the arm's modality-balancing method (docs/balancing.md)
  MaskSummary masks;
  std::vector<double> joint, probe_audio, probe_visual;  // per seed
  std::vector<double> val;  // validation top-1 per planned seed (FusT arms only: the choice of the best)
};

struct FusionTuningResult {
  bool stage1_done = false;                // false: stage 1 is pending and nothing below is set
  std::map<std::string, double> stage1_top1;  // each modality alone: how hard the target set is
  std::vector<SampleConfidence> confidences;  // joined stage-1 confidences per training sample
  std::vector<int> groups;                    // clip_card group per sample (-1: not in clips.csv)
  std::vector<FusionArmResult> arms;
  int best_val = -1;  // the FusT arm with the best mean validation top-1 (study/fust_stage2.h); -1: not chosen yet
  MaskRuleConfig rule;  // the symmetric rule's parameters (reported)
  nlohmann::json to_json() const;  // results.json "fust"
};

FusionTuningResult run_fusion_tuning(const StudyPlan& p, Scheduler& s, const StudyContext& c);

}  // namespace avtune
