// avtune train / avtune eval: flags -> TrainConfig (+ its "model" and "data" sections) -> the
// training engine. Flags given on the command line override --config FILE, which overrides defaults.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>

#include "avtune/data/dataset_spec.h"
#include "avtune/io/checkpoint.h"
#include "avtune/io/weights_file.h"
#include "avtune/models/classifiers.h"
#include "avtune/models/model_factory.h"
#include "avtune/train/trainer.h"
#include "avtune/util/atomic_file.h"
#include "avtune/util/error.h"
#include "avtune/util/runtime.h"
#include "avtune/train/training_run.h"
#include "train_flags.h"

namespace avtune::cli {

namespace {

using nlohmann::json;

void write_json(const std::string& path, const json& j) { write_file_atomic(path, j.dump(2) + "\n"); }

}  // namespace

void register_train(CLI::App& app, GlobalOptions& g) {
  {
    auto* cmd = app.add_subcommand("train", "Train an audio, visual or audio-visual classifier (see docs/training.md)");
    auto st = std::make_shared<TrainFlags>();
    add_train_flags(cmd, *st, ModelFlagSet::Full);
    cmd->callback([st, &g] {
      apply_runtime(g);
      TrainConfig cfg = resolve_flags(*st, g);
      const std::string mod = cfg.model.value("modality", std::string());
      if (mod.empty()) fail("cli", "--modality audio|visual|av", "none");
      if (cfg.out_dir.empty()) cfg.out_dir = default_run_dir(mod);
      const auto out = run_training(cfg, g.quiet);
      print_outcome(out, cfg.out_dir);
    });
  }
  {
    auto* cmd = app.add_subcommand("eval", "Evaluate a checkpoint (or plain weights) on a data set split");
    struct State {
      Overrides ov;
      DataFlags data;
      std::string ckpt, modality, json_out, split;
      int depth = 18, workers = 2;
      double width = 1.0;
      int64_t batch_size = 32;
    };
    auto st = std::make_shared<State>();
    cmd->add_option("CKPT", st->ckpt, "avtune checkpoint (last.pth/best.pth) or a weights file")->required()->check(CLI::ExistingFile);
    st->ov.add(cmd, "--modality", "model", "modality", st->modality, "audio|visual|av (default: the checkpoint's)")
        ->check(CLI::IsMember({"audio", "visual", "av"}));
    add_data_flags(cmd, st->ov, st->data, false, false);
    cmd->add_option("--split", st->split, "split to evaluate (default: --eval-split, else test)");
    st->ov.add(cmd, "--depth", "model", "depth", st->depth, "ResNet depth (default: the checkpoint's, else 18)");
    st->ov.add(cmd, "--width", "model", "width", st->width, "width multiplier (default: the checkpoint's, else 1.0)");
    cmd->add_option("--batch-size", st->batch_size, "batch size")->capture_default_str();
    cmd->add_option("--workers", st->workers, "loader threads")->capture_default_str();
    cmd->add_option("--json", st->json_out, "also write the metrics to this JSON file");
    cmd->callback([st, &g] {
      apply_runtime(g);
      // Weights and, for avtune checkpoints, the run's model/data settings as defaults.
      StateDict weights;
      TrainConfig saved;
      try {
        const auto ck = load_checkpoint(st->ckpt);
        weights = ck.model;
        saved = train_config_from_json(json::parse(ck.config_json), st->ckpt);
      } catch (const Error&) {
        weights = load_weights(st->ckpt);  // plain weights: flags describe the model
      }
      const TrainConfig cfg = apply_json(saved, st->ov.collect(), "command line");
      const json model = resolved_model(cfg.model), data = resolved_data(cfg.data);
      const Modality modality = run_modality(model);
      const std::string mod = to_string(modality);
      std::string split = st->split.empty() ? data.value("eval_split", std::string()) : st->split;
      if (split.empty() || split == "none") split = "test";
      auto ds = open_dataset(dataset_spec_from(data, modality), split, /*train=*/false);
      const auto classes = static_cast<int64_t>(ds->class_names().size());
      auto net = build_run_model(model, modality, classes, /*fresh=*/false);
      const auto rep = load_state_dict(*net, weights);  // strict: the right model or a clear error
      (void)rep;
      auto adapter = run_adapter(net, model);
      const c10::Device device = resolve_device(g.device);
      adapter->module().to(device);
      TrainConfig lc;
      lc.batch_size = st->batch_size;
      lc.workers = st->workers;
      DataLoader loader(ds, loader_options(lc, false));
      const auto m = evaluate(*adapter, loader, device, !g.quiet);
      std::printf("%s %s (%zu samples): %s\n", st->ckpt.c_str(), split.c_str(), ds->size(), m.summary().c_str());
      if (!st->json_out.empty()) {
        json out = m.to_json();
        out["checkpoint"] = st->ckpt;
        out["split"] = split;
        out["modality"] = mod;
        write_json(st->json_out, out);
      }
    });
  }
}

}  // namespace avtune::cli
