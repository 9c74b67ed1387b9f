#pragma once
// Joint learning (the paper's joint-learning experiment, Fig. 1b): the audio-visual model with the visual encoder from the visual
// source model and the audio encoder random / other-modality / same-modality pre-trained, each
// encoder then judged by a linear probe (methods/linear_probe.h).
#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "avtune/study/context.h"
#include "avtune/study/scheduler.h"

namespace avtune {

// Linear probes (audio, visual) of a finished joint run's encoders, trained under <run>/probe-<mod>.
// A pending joint run defers the pass (its last.pth is not its last epoch's yet) and gives NaNs.
std::pair<double, double> linear_probes(const StudyPlan& p, Scheduler& s, const StudyContext& c, const RunLog& joint,
                                        uint64_t seed);

struct JointRow {
  std::string audio_init;
  std::vector<double> joint, probe_audio, probe_visual;  // per seed
};

struct JointResult {
  std::vector<JointRow> rows;
  nlohmann::json to_json() const;  // results.json "joint"
};

JointResult run_joint(const StudyPlan& p, Scheduler& s, const StudyContext& c);

}  // namespace avtune
