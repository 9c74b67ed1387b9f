#pragma once
// The modality-balancing method a run's configuration names (TrainConfig::balance; docs/balancing.md),
// as the engine's step hook and, for methods that act in the forward pass, the run's model adapter.
#include <memory>

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
Balance make_balance(const TrainConfig& cfg, const std::shared_ptr<torch::nn::Module>& net,
                     std::unique_ptr<ModelAdapter> adapter);

}  // namespace avtune
