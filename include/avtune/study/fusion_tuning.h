#pragma once
// Two-stage Fusion Tuning (the paper's Fusion Tuning, Fig. 4): stage 1 fine-tunes each encoder alone from its
// same-modality source model and records each training sample's confidence; stage 2 trains the joint
// model from both stage-1 encoders without masks (the baseline) and with the plan's mask rules, each
// with linear probes of both encoders.
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "avtune/methods/fusion_masks.h"
#include "avtune/study/context.h"
#include "avtune/study/scheduler.h"

namespace avtune {

struct FusionArmResult {
  std::string name;
  bool masked = false;
  MaskSummary masks;
  std::vector<double> joint, probe_audio, probe_visual;  // per seed
};

struct FusionTuningResult {
  bool stage1_done = false;                // false: stage 1 is pending and nothing below is set
  std::map<std::string, double> stage1_top1;  // each modality alone: how hard the target set is
  std::vector<SampleConfidence> confidences;  // joined stage-1 confidences per training sample
  std::vector<int> groups;                    // clip_card group per sample (-1: not in clips.csv)
  std::vector<FusionArmResult> arms;
  MaskRuleConfig rule;  // the symmetric rule's parameters (reported)
  nlohmann::json to_json() const;  // results.json "fust"
};

FusionTuningResult run_fusion_tuning(const StudyPlan& p, Scheduler& s, const StudyContext& c);

}  // namespace avtune
