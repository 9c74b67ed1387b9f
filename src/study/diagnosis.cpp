#include "avtune/study/diagnosis.h"

#include "avtune/methods/dead_channels_on_data.h"
#include "avtune/run/training_run.h"

namespace avtune {

using nlohmann::json;

Diagnosis diagnose_study_encoder(const StudyPlan& p, const StudyContext& c, const std::string& ckpt,
                                 const std::string& prefix, Modality on) {
  DiagnoseOptions d;
  d.abs_thresholds = p.diag_thresholds;
  OnDataOptions o;
  o.max_samples = p.diag_max_samples;
  o.batch_size = p.diag_batch;
  o.workers = c.workers;
  o.device = c.device;
  const DatasetSpec spec = dataset_spec_from(resolved_data(av_data(p, c)), on);
  return diagnose_on_data(ckpt, prefix, spec, "test", on, d, o);
}

json diagnosis_entry(const Diagnosis& d, const std::string& label) {
  json j = json::parse(diagnosis_json(d));
  j["label"] = label;
  return j;
}

json SourceDiagnosis::to_json() const {
  return {{"visual_source", diagnosis_entry(visual, "visual source model (target: av-fashion audio)")},
          {"audio_source", diagnosis_entry(audio, "audio source model (target: av-fashion frames)")}};
}

SourceDiagnosis diagnose_sources(const StudyPlan& p, const StudyContext& c) {
  SourceDiagnosis s;
  s.visual = diagnose_study_encoder(p, c, c.source_checkpoint("visual"), "visual_net.", Modality::Audio);
  s.audio = diagnose_study_encoder(p, c, c.source_checkpoint("audio"), "audio_net.", Modality::Visual);
  return s;
}

}  // namespace avtune
