#pragma once
// The modality-balancing method a run's configuration names (TrainConfig::balance; docs/balancing.md),
// as the engine's step hook and, for methods that act in the forward pass, the run's model adapter.
#include <memory>
#include <string>

#include "avtune/train/step_hook.h"
#include "avtune/train/train_config.h"
#include "avtune/train/trainer.h"

namespace avtune {

struct Balance {
  std::unique_ptr<ModelAdapter> adapter;  // the run's adapter (OPM wraps the model, UMT the adapter)
  std::unique_ptr<StepHook> owned;        // a hook that is not the adapter
  StepHook* hook = nullptr;               // for fit (null: no balancing)
};

// cfg.balance: none (adapter returned as it is), ogm, ogm-ge (methods/balance_ogm.h), opm
// (methods/balance_opm.h) or umt (methods/balance_umt.h: wraps `adapter`, loads the teachers), with
// cfg's balance_* / opm_* / umt_* settings and seed; UMT's teachers without umt throw. Throws naming the key
// for an unknown method, a model that is not an av classifier with a concat or sum head, or a
// data-parallel run (each process would modulate by its own batch's scores).
// What is wrong with cfg's balancing settings, seen without data or model: the flag to blame and what
// it expected (both empty when nothing is). `av_model`: the run trains an audio-visual classifier.
// The CLI reports it as a usage error (exit 2); make_balance checks the same things.
struct BalanceProblem {
  std::string flag, expected, got;
};
BalanceProblem balance_settings_problem(const TrainConfig& cfg, bool av_model);

// balance_settings_problem as an avtune::Error, a data-parallel run refused, and UMT's teacher files
// checked to hold encoders of their modality (check_umt_teacher_file): what make_balance would refuse
// without a model, called by run/ before the data so that a wrong flag fails before any expensive
// work (the fbank statistics, the data sets).
void check_balance_settings(const TrainConfig& cfg, bool av_model);

Balance make_balance(const TrainConfig& cfg, const std::shared_ptr<torch::nn::Module>& net,
                     std::unique_ptr<ModelAdapter> adapter);

}  // namespace avtune
