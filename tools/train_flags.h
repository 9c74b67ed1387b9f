#pragma once
// The training flags shared by `train`, `fust stage1|stage2` and `probe`: each becomes a JSON
// override of the run configuration only when given on the command line, so --config FILE and a
// resumed run's config.json keep their values otherwise.
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "avtune/io/state_dict.h"
#include "avtune/train/train_config.h"
#include "avtune/run/run_spec.h"
#include "avtune/run/training_run.h"
#include "cli_common.h"

namespace avtune::cli {

class Overrides {
 public:
  template <typename T>
  CLI::Option* add(CLI::App* cmd, const std::string& flag, const std::string& section, const std::string& key, T& var,
                   const std::string& help) {
    auto* opt = cmd->add_option(flag, var, help);
    bind(opt, section, key, var);
    return opt;
  }
  CLI::Option* flag(CLI::App* cmd, const std::string& flag, const std::string& section, const std::string& key, bool& var,
                    const std::string& help) {
    auto* opt = cmd->add_flag(flag, var, help);
    bind(opt, section, key, var);
    return opt;
  }
  nlohmann::json collect() const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& a : appliers_) a(j);
    return j;
  }

 private:
  template <typename T>
  void bind(CLI::Option* opt, const std::string& section, const std::string& key, T& var) {
    appliers_.push_back([opt, section, key, &var](nlohmann::json& j) {
      if (opt->count() == 0) return;
      (section.empty() ? j[key] : j[section][key]) = var;
    });
  }
  std::vector<std::function<void(nlohmann::json&)>> appliers_;
};

// The data section's flags fill a DataSettings, the model section's a ModelSettings (run/run_spec.h,
// where every field's flag, help and default are declared once).
using DataFlags = DataSettings;
// How clips become model input ("data" section): --frames, --image-size, --audio-frames, --mel-bins,
// --fbank-mean, --fbank-std.
void add_input_flags(CLI::App* cmd, Overrides& ov, DataFlags& d);
// Data-set flags ("data" section), the input flags included. `train_split`: also --train-split; `masks`: also --mask-file.
void add_data_flags(CLI::App* cmd, Overrides& ov, DataFlags& d, bool train_split, bool masks);

// Which model flags a command offers.
enum class ModelFlagSet {
  Full,      // train: --modality, --init/--audio-init/--visual-init, ABRi, BN resets
  Stage1,    // fust stage1: --audio-init/--visual-init, ABRi, BN resets (modality fixed)
  NoInit,    // fust stage2 / probe: architecture only, the inits come from the command
};

struct TrainFlags {
  Overrides ov;
  DataFlags data;
  ModelSettings model;
  TrainConfig engine;  // the engine's flags bind here (only flags given on the command line count)
  std::string config;
  int nproc = 1;       // --nproc: local worker processes this command starts (docs/distributed.md)
};
// With --nproc N > 1: runs this command line again as N local workers (rank-prefixed output) and
// returns true once they all finished; throws naming the rank when one failed. False otherwise.
bool launch_workers_if_asked(const TrainFlags& f, const GlobalOptions& g);
// True on every process but rank 0 of a data-parallel run: they write and print nothing.
bool secondary_rank();
void add_train_flags(CLI::App* cmd, TrainFlags& f, ModelFlagSet set);

// defaults <- --config (or, when resuming without it, <out>/config.json) <- flags <- `extra`
// (a command's own settings, JSON with the same keys) <- global --device/--quiet.
TrainConfig resolve_flags(const TrainFlags& f, const GlobalOptions& g, const nlohmann::json& extra = nlohmann::json::object());

// The data and model sections of a run built on a saved one (fust stage 2 on stage 1, a probe on its
// checkpoint): the saved config's data section and architecture (depth, width), then the data and
// model flags given on the command line. `saved_config` may be null (plain weights: flags only).
struct RunSections {
  nlohmann::json data = nlohmann::json::object(), model = nlohmann::json::object();
};
RunSections sections_over_saved(const nlohmann::json& saved_config, const TrainFlags& f);

// runs/<timestamp>-<what>
std::string default_run_dir(const std::string& what);

// The weights file given to eval and probe. An avtune run checkpoint brings its configuration (the
// defaults for data and architecture); plain weights bring none and the flags describe the model.
// Told apart by is_run_checkpoint, so a corrupt checkpoint or a config with an unknown key is an
// error naming the file, never a fallback to "plain weights".
struct SavedWeights {
  std::optional<TrainConfig> config;  // set for run checkpoints
  StateDict weights;                  // filled only when asked for
};
SavedWeights load_saved_weights(const std::string& path, bool with_weights);

// Draws a finished run's figures (curve.png, abri_alpha.png with ABRi) into its directory and prints
// its result line (and ABRi's alpha table) on stdout.
void finish_run(const RunOutcome& out, const std::string& run_dir);

}  // namespace avtune::cli
