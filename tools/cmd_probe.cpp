// avtune probe CKPT --modality audio|visual: linear probing of one encoder of a (joint) model.
#include <cstdio>
#include <memory>

#include "avtune/methods/abri.h"
#include "avtune/run/training_run.h"
#include "avtune/util/error.h"
#include "train_flags.h"

namespace avtune::cli {

using nlohmann::json;

void register_probe(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "probe", "Linear probing: freeze one encoder of a checkpoint and train a fresh linear classifier on its features");
  auto st = std::make_shared<TrainFlags>();
  auto ckpt = std::make_shared<std::string>();
  auto modality = std::make_shared<std::string>();
  cmd->add_option("CKPT", *ckpt, "avtune checkpoint (joint or uni-modal) or weights file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--modality", *modality, "which encoder: audio|visual")->required()->check(CLI::IsMember({"audio", "visual"}));
  add_train_flags(cmd, *st, ModelFlagSet::NoInit);
  cmd->callback([st, ckpt, modality, &g] {
    if (launch_workers_if_asked(*st, g)) return;
    apply_runtime(g);
    // An avtune checkpoint says which data and architecture it was trained with: those are the defaults.
    // Plain weights: the flags describe data and architecture.
    const auto run = load_saved_weights(*ckpt, /*with_weights=*/true);
    const json saved = run.config ? to_json(*run.config) : json(nullptr);
    auto [data, model] = sections_over_saved(saved, *st);
    data["mask_file"] = "";  // a Fusion Tuning mask belongs to the joint run, not to the probe
    // An ABRi encoder (avtune's or the reference's) is probed as trained: its twins and alpha load too.
    const AbriMode abri = abri_mode_of(run.weights);
    const char* abri_name = abri == AbriMode::None ? "none" : abri == AbriMode::Batch ? "batch" : "channel";
    model.update({{"modality", *modality}, {"init", *ckpt}, {"freeze_encoder", true}, {"abri", abri_name}, {"bn_reset", "none"}});
    TrainConfig cfg = resolve_flags(*st, g, {{"data", data}, {"model", model}});
    if (cfg.out_dir.empty()) cfg.out_dir = default_run_dir("probe-" + *modality);
    const auto res = run_training(cfg, g.quiet);
    if (!secondary_rank()) finish_run(res, cfg.out_dir);
  });
}

}  // namespace avtune::cli
