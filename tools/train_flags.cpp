#include "train_flags.h"

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "avtune/audio/audio_transforms.h"
#include "avtune/train/trainer.h"

namespace avtune::cli {

using nlohmann::json;

void add_data_flags(CLI::App* cmd, Overrides& ov, DataFlags& d, bool train_split, bool masks) {
  ov.add(cmd, "--data", "data", "root", d.root, "data set root");
  ov.add(cmd, "--format", "data", "format", d.format, "ks|csv|esc50|image-folder (default ks)");
  if (train_split) ov.add(cmd, "--train-split", "data", "train_split", d.train_split, "training split (default train)");
  ov.add(cmd, "--eval-split", "data", "eval_split", d.eval_split, "evaluation split (default test; 'none' = no evaluation)");
  ov.add(cmd, "--audio-dir", "data", "audio_dir", d.audio_dir, "audio folder (default ROOT/audio/<split>)");
  ov.add(cmd, "--visual-dir", "data", "visual_dir", d.visual_dir, "frames folder (default ROOT/visual/<split>)");
  ov.add(cmd, "--classes-file", "data", "classes_file", d.classes_file, "class names, one a line, in label order");
  ov.add(cmd, "--frames", "data", "frames", d.frames, "frames per clip T (default 3)");
  ov.add(cmd, "--image-size", "data", "image_size", d.image_size, "frame/image side in pixels (default 224)");
  ov.add(cmd, "--audio-frames", "data", "audio_frames", d.audio_frames, "fbank frames per clip (default 1024)");
  ov.add(cmd, "--mel-bins", "data", "mel_bins", d.mel_bins, "mel bins (default 128)");
  ov.add(cmd, "--fbank-mean", "data", "fbank_mean", d.fbank_mean, "fbank normalisation mean (default Kinetics-Sounds' -4.503877)");
  ov.add(cmd, "--fbank-std", "data", "fbank_std", d.fbank_std, "fbank normalisation std (default Kinetics-Sounds' 5.141276)");
  ov.flag(cmd, "--skip-bad", "data", "skip_bad", d.skip_bad,
          "skip samples that fail to load (counted and reported each epoch) instead of stopping");
  if (masks)
    ov.add(cmd, "--mask-file", "data", "mask_file", d.mask_file,
           "Fusion Tuning: per-sample patch-mask ratios (ratios.csv from `avtune fust masks`) for training");
}

RunSections sections_over_saved(const json& saved_config, const TrainFlags& f) {
  RunSections s;
  if (saved_config.is_object()) {
    s.data = saved_config.value("data", json::object());
    const json m = saved_config.value("model", json::object());
    for (const char* k : {"depth", "width"})
      if (m.contains(k)) s.model[k] = m[k];
  }
  const json flags = f.ov.collect();
  if (flags.contains("data")) s.data.update(flags["data"]);
  if (flags.contains("model")) s.model.update(flags["model"]);
  return s;
}

void add_train_flags(CLI::App* cmd, TrainFlags& f, ModelFlagSet set) {
  auto& ov = f.ov;
  cmd->add_option("--config", f.config, "JSON file of settings (keys as in config.json); flags override it");
  if (set == ModelFlagSet::Full)
    ov.add(cmd, "--modality", "model", "modality", f.modality, "audio|visual|av")->check(CLI::IsMember({"audio", "visual", "av"}));
  add_data_flags(cmd, ov, f.data, true, set == ModelFlagSet::Full);
  ov.add(cmd, "--depth", "model", "depth", f.depth, "ResNet depth 18|34 (default 18)");
  ov.add(cmd, "--width", "model", "width", f.width, "width multiplier (default 1.0)");
  ov.add(cmd, "--channels-last", "model", "channels_last", f.channels_last,
         "NHWC weights and activations, faster on CPU (default true; false = NCHW, as PyTorch's default)");
  if (set != ModelFlagSet::Stage1)
    ov.add(cmd, "--fusion", "model", "fusion", f.fusion, "av: fusion head concat (the reference) | sum | film | gated")
        ->check(CLI::IsMember({"concat", "sum", "film", "gated"}));
  if (set == ModelFlagSet::Full)
    ov.add(cmd, "--init", "model", "init", f.init, "uni-modal encoder: random|PATH[:conv1=sum|mean|replicate]");
  if (set != ModelFlagSet::NoInit) {
    ov.add(cmd, "--audio-init", "model", "audio_init", f.audio_init, "audio encoder (av/stage 1): random|PATH[:conv1=...]");
    ov.add(cmd, "--visual-init", "model", "visual_init", f.visual_init, "visual encoder (av/stage 1): random|PATH[:conv1=...]");
    ov.add(cmd, "--abri", "model", "abri", f.abri, "ABRi twins on every BN: none|batch|channel (default none)")
        ->check(CLI::IsMember({"none", "batch", "channel"}));
    ov.add(cmd, "--abri-alpha", "model", "abri_alpha", f.abri_alpha, "ABRi: initial weight of the pre-trained BN (default 0.5)");
    ov.add(cmd, "--bn-reset", "model", "bn_reset", f.bn_reset,
           "after loading a pre-trained encoder, reset its BNs: none|all|abnormal (default none)")
        ->check(CLI::IsMember({"none", "all", "abnormal"}));
    ov.add(cmd, "--bn-reset-threshold", "model", "bn_reset_threshold", f.bn_reset_threshold,
           "--bn-reset abnormal: channels with |gamma| below this (default 1e-6)");
  }
  ov.add(cmd, "--epochs", "", "epochs", f.epochs, "epochs (default 10)");
  ov.add(cmd, "--batch-size", "", "batch_size", f.batch_size, "batch size (default 32)");
  ov.add(cmd, "--optimizer", "", "optimizer", f.optimizer, "sgd|adam|adamw (default sgd)");
  ov.add(cmd, "--lr", "", "lr", f.lr, "base learning rate (default 0.01)");
  ov.add(cmd, "--momentum", "", "momentum", f.momentum, "SGD momentum (default 0.9)");
  ov.flag(cmd, "--nesterov", "", "nesterov", f.nesterov, "Nesterov momentum");
  ov.add(cmd, "--weight-decay", "", "weight_decay", f.weight_decay, "weight decay (default 1e-4)");
  ov.add(cmd, "--decay-exclude", "", "decay_exclude", f.decay_exclude,
         "no weight decay on BatchNorm, biases and ABRi mixing weights (default true)");
  ov.add(cmd, "--grad-clip", "", "grad_clip", f.grad_clip, "clip the global gradient norm (0 = off)");
  ov.add(cmd, "--schedule", "", "schedule", f.schedule, "constant|step|multistep|cosine (default constant)");
  ov.add(cmd, "--step-size", "", "step_size", f.step_size, "step: epochs between decays");
  ov.add(cmd, "--milestones", "", "milestones", f.milestones, "multistep: epochs, comma-separated")->delimiter(',');
  ov.add(cmd, "--gamma", "", "gamma", f.gamma, "step/multistep: decay factor (default 0.1)");
  ov.add(cmd, "--min-lr", "", "min_lr", f.min_lr, "cosine: final rate (default 0)");
  ov.add(cmd, "--warmup-epochs", "", "warmup_epochs", f.warmup, "linear warm-up epochs (default 0)");
  ov.add(cmd, "--eval-every", "", "eval_every", f.eval_every, "evaluate every N epochs (0 = only after the last)");
  ov.add(cmd, "--seed", "", "seed", f.seed, "seed of init, order and augmentation (default 0)");
  ov.add(cmd, "--workers", "", "workers", f.workers, "loader threads (default 2)");
  ov.add(cmd, "--out", "", "out_dir", f.out, "run directory (default runs/<timestamp>-<what>)");
  ov.flag(cmd, "--resume", "", "resume", f.resume, "continue the run in --out from its last.pth");
}

TrainConfig resolve_flags(const TrainFlags& f, const GlobalOptions& g, const json& extra) {
  json overrides = f.ov.collect();
  for (auto it = extra.begin(); it != extra.end(); ++it) {
    if (it.value().is_object() && overrides.contains(it.key()))
      for (auto e = it.value().begin(); e != it.value().end(); ++e) overrides[it.key()][e.key()] = e.value();
    else
      overrides[it.key()] = it.value();
  }
  if (g.device != "auto") overrides["device"] = g.device;
  if (g.quiet) overrides["progress"] = false;
  // Resuming without --config re-reads the run's own config.json: same data, model and settings.
  std::string config = f.config;
  const std::string out = overrides.value("out_dir", std::string());
  if (config.empty() && overrides.value("resume", false) && !out.empty()) {
    const auto saved = (std::filesystem::path(out) / RunFiles::kConfig).string();
    if (std::filesystem::exists(saved)) config = saved;
  }
  TrainConfig cfg = resolve_train_config(config, overrides);
  cfg.model = resolved_model(cfg.model);
  cfg.data = resolved_data(cfg.data);
  return cfg;
}

std::string default_run_dir(const std::string& what) {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::localtime(&t));
  return "runs/" + std::string(buf) + "-" + what;
}

void print_outcome(const RunOutcome& out, const std::string& run_dir) {
  const auto& res = out.result;
  if (res.best_top1 >= 0) {
    double last = -1;
    if (!res.log.empty() && res.log.back().contains("eval") && res.log.back()["eval"].is_object())
      last = res.log.back()["eval"].value("top1", -1.0);
    std::printf("best eval top-1 %.2f%% at epoch %lld", 100 * res.best_top1, static_cast<long long>(res.best_epoch));
    if (last >= 0) std::printf(", last %.2f%%", 100 * last);
    std::printf("; run in %s\n", run_dir.c_str());
  } else {
    std::printf("trained %lld epochs; run in %s\n", static_cast<long long>(res.epochs_done), run_dir.c_str());
  }
  if (!out.alpha_table.empty()) std::printf("ABRi mixing weights (alpha of the pre-trained BN):\n%s", out.alpha_table.c_str());
}

}  // namespace avtune::cli
