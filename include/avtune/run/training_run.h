#pragma once
// One training run from its resolved configuration: the data sets and loaders its "data" section
// describes, the model its "model" section describes (encoder inits, BN resets, ABRi, a frozen
// encoder for linear probing, Fusion Tuning's patch masks), then the engine. The CLI's train/fust/
// probe commands and the study driver all go through here, so a run directory's config.json is
// enough to rebuild, evaluate or resume any of them.
#include <torch/torch.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "avtune/data/dataset.h"
#include "avtune/methods/abri.h"
#include "avtune/data/dataset_spec.h"
#include "avtune/train/train_config.h"
#include "avtune/train/trainer.h"

namespace avtune {

// The "data" / "model" sections with every default filled in (what config.json records).
//   (keys, defaults and meanings: run/run_spec.h, the one place they are declared)
nlohmann::json resolved_data(nlohmann::json data);
nlohmann::json resolved_model(nlohmann::json model);

// A data set description from a resolved "data" section.
DatasetSpec dataset_spec_from(const nlohmann::json& data, Modality modality);

// The classifier a resolved "model" section describes, for `classes` classes. With `fresh`, encoders
// are initialised (--init), BN-reset and only then given ABRi twins; without, the architecture alone
// (ABRi twins included) for loading a saved state. `log` (may be null) receives one line per step.
std::shared_ptr<torch::nn::Module> build_run_model(const nlohmann::json& model, Modality modality, int64_t classes,
                                                   bool fresh, std::string* log = nullptr);

// The adapter for a run's model: make_adapter, frozen to its classifier when model.freeze_encoder.
std::unique_ptr<ModelAdapter> run_adapter(const std::shared_ptr<torch::nn::Module>& net, const nlohmann::json& model);

struct RunOutcome {
  TrainResult result;
  int64_t classes = 0;
  std::string kind;  // the model adapter's kind: audio, visual, av, audio-probe, ...
  size_t train_samples = 0, eval_samples = 0;
  std::string alpha_table;          // ABRi mixing weights after training (empty without ABRi)
  std::vector<AbriAlpha> alphas;    // the same, per BN layer
  std::vector<std::string> alpha_names() const;  // alphas' BN names, for figures
  std::vector<double> alpha_means() const;       // alphas' mean values
};

// Trains the run `cfg` describes (sections resolved here). Writes, besides the engine's files,
// abri_alpha.csv when the model has ABRi; no figures (the caller draws them from the outcome). `quiet` silences the one-line setup summary.
RunOutcome run_training(TrainConfig cfg, bool quiet);

// The modality a resolved model section names ("audio"|"visual"|"av"); throws when missing.
Modality run_modality(const nlohmann::json& model);

}  // namespace avtune
