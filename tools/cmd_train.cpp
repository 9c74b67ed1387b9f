// avtune train: flags -> TrainConfig (+ its "model" and "data" sections) -> the training engine.
// Flags given on the command line override --config FILE, which overrides defaults.
#include <memory>

#include "avtune/methods/balance.h"
#include "avtune/run/training_run.h"
#include "avtune/util/error.h"
#include "train_flags.h"

namespace avtune::cli {

void register_train(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("train", "Train an audio, visual or audio-visual classifier (see docs/training.md)");
  auto st = std::make_shared<TrainFlags>();
  add_train_flags(cmd, *st, ModelFlagSet::Full);
  cmd->callback([st, &g] {
    if (launch_workers_if_asked(*st, g)) return;
    apply_runtime(g);
    TrainConfig cfg = resolve_flags(*st, g);
    const std::string mod = cfg.model.value("modality", std::string());
    if (mod.empty()) fail("cli", "--modality audio|visual|av", "none");
    // Balancing flags that cannot work are usage errors, before any data is read (docs/balancing.md).
    if (const BalanceProblem p = balance_settings_problem(cfg, mod == "av"); !p.flag.empty())
      throw CLI::ValidationError(p.flag, "expected " + p.expected + ", got " + p.got);
    if (cfg.out_dir.empty()) cfg.out_dir = default_run_dir(mod);
    const auto out = run_training(cfg, g.quiet);
    if (!secondary_rank()) finish_run(out, cfg.out_dir);
  });
}

}  // namespace avtune::cli
