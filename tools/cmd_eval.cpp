// avtune eval CKPT: a run checkpoint (its model and data settings are the defaults) or plain weights
// (the flags describe the model) evaluated on one split of a data set.
#include <cstdio>
#include <memory>

#include "avtune/data/dataset_spec.h"
#include "avtune/data/loader.h"
#include "avtune/methods/abri.h"
#include "avtune/models/model_factory.h"
#include "avtune/run/training_run.h"
#include "avtune/train/trainer.h"
#include "avtune/util/atomic_file.h"
#include "avtune/util/runtime.h"
#include "train_flags.h"

namespace avtune::cli {

using nlohmann::json;

void register_eval(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("eval", "Evaluate a checkpoint (or plain weights) on a data set split");
  struct State {
    Overrides ov;
    DataFlags data;
    std::string ckpt, modality, json_out, split, precision = "fp32";
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
  cmd->add_option("--precision", st->precision, "fp32|bf16|fp16: autocast of the forward passes (fp16: CUDA)")
      ->capture_default_str()
      ->check(CLI::IsMember({"fp32", "bf16", "fp16"}));
  cmd->callback([st, &g] {
    apply_runtime(g);
    auto saved = load_saved_weights(st->ckpt, /*with_weights=*/true);
    const TrainConfig cfg = apply_json(saved.config.value_or(TrainConfig{}), st->ov.collect(), "command line");
    json model = resolved_model(cfg.model);
    const json data = resolved_data(cfg.data);
    // Plain weights with ABRi twins (a reference ABRi checkpoint): build the twins they fill.
    if (const AbriMode m = abri_mode_of(saved.weights); m != AbriMode::None && model.value("abri", "none") == "none")
      model["abri"] = m == AbriMode::Batch ? "batch" : "channel";
    const Modality modality = run_modality(model);
    const std::string mod = to_string(modality);
    std::string split = st->split.empty() ? data.value("eval_split", std::string()) : st->split;
    if (split.empty() || split == "none") split = "test";
    auto ds = open_dataset(dataset_spec_from(data, modality), split, /*train=*/false);
    const auto classes = static_cast<int64_t>(ds->class_names().size());
    auto net = build_run_model(model, modality, classes, /*fresh=*/false);
    (void)load_state_dict(*net, saved.weights);  // strict: the right model or a clear error
    auto adapter = run_adapter(net, model);
    const c10::Device device = resolve_device(g.device);
    adapter->module().to(device);
    TrainConfig lc;
    lc.batch_size = st->batch_size;
    lc.workers = st->workers;
    DataLoader loader(ds, loader_options(lc, false));
    const auto m = evaluate(*adapter, loader, device, !g.quiet, st->precision);
    std::printf("%s %s (%zu samples): %s\n", st->ckpt.c_str(), split.c_str(), ds->size(), m.summary().c_str());
    if (!st->json_out.empty()) {
      json out = m.to_json();
      out["checkpoint"] = st->ckpt;
      out["split"] = split;
      out["modality"] = mod;
      write_file_atomic(st->json_out, out.dump(2) + "\n");
    }
  });
}

}  // namespace avtune::cli
