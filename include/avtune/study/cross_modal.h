#pragma once
// Cross-modal initialisation (the paper's cross-modal initialisation, Fig. 1a): each target encoder fine-tuned on av-fashion from
// random init, from the other modality's source model, with ABRi (per layer, per channel) and with BN
// resets; accuracy per epoch over seeds, then the plain pre-trained encoder's diagnosis after
// fine-tuning (Fig. 2a).
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "avtune/methods/dead_channels.h"
#include "avtune/study/context.h"
#include "avtune/study/scheduler.h"

namespace avtune {

struct CrossModalRow {
  std::string variant;
  std::vector<double> finals;               // last-epoch test top-1 per seed
  std::vector<std::vector<double>> curves;  // test top-1 per epoch per seed
};

struct CrossModalDirectionResult {
  CrossModalDirection direction;
  std::vector<CrossModalRow> rows;
  std::optional<Diagnosis> after;  // once every run of the pass is trained
};

struct CrossModalResult {
  std::vector<CrossModalDirectionResult> directions;
  nlohmann::json to_json() const;            // results.json "cross_modal"
  nlohmann::json diagnosis_json() const;     // {"after_<key>": ...} for results.json "diagnosis"
};

CrossModalResult run_cross_modal(const StudyPlan& p, Scheduler& s, const StudyContext& c);

}  // namespace avtune
