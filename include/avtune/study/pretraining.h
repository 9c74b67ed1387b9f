#pragma once
// Source pre-training (the paper's dead-channel analysis): a visual model on fashion-source and an audio model on
// spoken-words, trained in the regime in which BatchNorm channels die. Every later stage starts from
// these two checkpoints (StudyContext::source_checkpoint).
#include <nlohmann/json.hpp>

#include <cmath>
#include <vector>

#include "avtune/study/context.h"
#include "avtune/study/scheduler.h"

namespace avtune {

struct SourceRun {
  double test_top1 = std::nan("");
  double seconds = 0;
  std::vector<double> curve;  // eval top-1 per epoch
};

struct PretrainResult {
  SourceRun visual, audio;
  nlohmann::json to_json() const;  // results.json "pretrain"
};

PretrainResult run_pretraining(const StudyPlan& p, Scheduler& s, const StudyContext& c);

}  // namespace avtune
