#pragma once
// Fusion Tuning's stage 1 (docs/fusion_tuning.md): each encoder fine-tuned alone from its same-modality
// source model, recording every training sample's confidence. Shared by the study's Fusion Tuning
// experiment and `avtune sweep`, which run stage 2 many times from one stage-1 pair.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "avtune/methods/fusion_masks.h"
#include "avtune/study/context.h"
#include "avtune/study/scheduler.h"

namespace avtune {

struct FustStage1 {
  bool done = false;                       // false: a run is pending and nothing below but top1 is set
  std::map<std::string, double> top1;      // "audio"/"visual" alone (NaN while pending)
  std::vector<SampleConfidence> confidences;  // joined per training sample
};

// Asks `s` for <root>/stage1/{audio,visual}; once the pass has nothing pending, reads and joins their
// confidences and writes <root>/stage1/confidences.csv (under the study lock: workers write it too).
FustStage1 run_fust_stage1(const StudyPlan& p, Scheduler& s, const StudyContext& c,
                           const std::filesystem::path& root);

// <root>/stage1/<mod>/last.pth: the encoder stage 2 starts from.
std::string fust_stage1_checkpoint(const std::filesystem::path& root, const std::string& mod);

}  // namespace avtune
