#pragma once
// The study's dead-channel diagnoses (the paper's dead-channel analysis, Fig. 2a): each source encoder before transfer, and
// each plainly fine-tuned cross-modal encoder after, measured on av-fashion's test split in the
// modality the encoder is transferred to (methods/dead_channels_on_data.h).
#include <nlohmann/json.hpp>

#include <string>

#include "avtune/data/dataset_spec.h"
#include "avtune/methods/dead_channels.h"
#include "avtune/study/context.h"

namespace avtune {

// Parameter and activation view of the encoder under `prefix` in `ckpt`, on av-fashion in modality `on`.
Diagnosis diagnose_study_encoder(const StudyPlan& p, const StudyContext& c, const std::string& ckpt,
                                 const std::string& prefix, Modality on);
// diagnosis_json's object plus "label" (results.json "diagnosis" entries; the figures read it).
nlohmann::json diagnosis_entry(const Diagnosis& d, const std::string& label);

struct SourceDiagnosis {
  Diagnosis visual, audio;
  nlohmann::json to_json() const;  // {"visual_source": ..., "audio_source": ...}
};
SourceDiagnosis diagnose_sources(const StudyPlan& p, const StudyContext& c);

}  // namespace avtune
