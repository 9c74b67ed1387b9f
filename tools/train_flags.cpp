#include "train_flags.h"

#include <cstdio>
#include <filesystem>
#include <map>
#include <type_traits>

#include "avtune/audio/audio_transforms.h"
#include "avtune/io/checkpoint.h"
#include "avtune/io/weights_file.h"
#include "avtune/plot/run_figures.h"
#include "avtune/run/run_spec.h"
#include "avtune/util/error.h"
#include "avtune/train/trainer.h"

namespace avtune::cli {

using nlohmann::json;

namespace {

// Allowed values of the enumerated fields, checked at parse time.
const std::map<std::string, std::vector<std::string>>& choices() {
  static const std::map<std::string, std::vector<std::string>> c = {
      {"modality", {"audio", "visual", "av"}},
      {"format", {"ks", "csv", "esc50", "image-folder"}},
      {"fusion", {"concat", "sum", "film", "gated"}},
      {"abri", {"none", "batch", "channel"}},
      {"bn_reset", {"none", "all", "abnormal"}},
  };
  return c;
}

// The flags of the named fields of a settings section, in `keys` order, with their help and default
// taken from the field's one declaration (run/run_spec.h). A boolean that is off by default is a
// switch (--skip-bad); one that is on takes a value (--channels-last false).
template <typename S>
void add_section_flags(CLI::App* cmd, Overrides& ov, const std::string& section, S& s,
                       std::initializer_list<const char*> keys) {
  std::map<std::string, FieldInfo> info;
  for (const auto& f : std::is_same_v<S, DataSettings> ? data_fields() : model_fields()) info[f.key] = f;
  for (const char* key : keys) {
    for_each_field(s, [&](const char* k, const char* flag, const char*, auto& member) {
      if (std::string(k) != key) return;
      const FieldInfo& fi = info.at(k);
      const std::string help = fi.value.empty() ? fi.help : fi.help + " (default " + fi.value + ")";
      using T = std::decay_t<decltype(member)>;
      CLI::Option* opt;
      if constexpr (std::is_same_v<T, bool>) {
        opt = member ? ov.add(cmd, flag, section, k, member, help) : ov.flag(cmd, flag, section, k, member, help);
      } else {
        opt = ov.add(cmd, flag, section, k, member, help);
      }
      if (auto c = choices().find(k); c != choices().end()) opt->check(CLI::IsMember(c->second));
    });
  }
}

}  // namespace

void add_input_flags(CLI::App* cmd, Overrides& ov, DataSettings& d) {
  add_section_flags(cmd, ov, "data", d, {"frames", "image_size", "audio_frames", "mel_bins", "fbank_mean", "fbank_std"});
}

void add_data_flags(CLI::App* cmd, Overrides& ov, DataSettings& d, bool train_split, bool masks) {
  add_section_flags(cmd, ov, "data", d, {"root", "format"});
  if (train_split) add_section_flags(cmd, ov, "data", d, {"train_split"});
  add_section_flags(cmd, ov, "data", d, {"eval_split", "audio_dir", "visual_dir", "classes_file"});
  add_input_flags(cmd, ov, d);
  add_section_flags(cmd, ov, "data", d, {"skip_bad"});
  if (masks) add_section_flags(cmd, ov, "data", d, {"mask_file"});
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
  if (set == ModelFlagSet::Full) add_section_flags(cmd, ov, "model", f.model, {"modality"});
  add_data_flags(cmd, ov, f.data, true, set == ModelFlagSet::Full);
  add_section_flags(cmd, ov, "model", f.model, {"depth", "width", "channels_last"});
  if (set != ModelFlagSet::Stage1) add_section_flags(cmd, ov, "model", f.model, {"fusion"});
  if (set == ModelFlagSet::Full) add_section_flags(cmd, ov, "model", f.model, {"init"});
  if (set != ModelFlagSet::NoInit)
    add_section_flags(cmd, ov, "model", f.model,
                      {"audio_init", "visual_init", "abri", "abri_alpha", "bn_reset", "bn_reset_threshold"});
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

std::string default_run_dir(const std::string& what) { return timestamped_dir("runs/", "-" + what); }

SavedWeights load_saved_weights(const std::string& path, bool with_weights) {
  SavedWeights s;
  if (!is_run_checkpoint(path)) {
    if (with_weights) s.weights = load_weights(path);
    return s;
  }
  auto ck = load_checkpoint(path);
  json j;
  try {
    j = json::parse(ck.config_json);
  } catch (const json::exception& e) {
    fail("checkpoint", "its run configuration as JSON", e.what(), {path});
  }
  s.config = train_config_from_json(j, path);  // an unknown key fails here, naming it and the file
  if (with_weights) s.weights = std::move(ck.model);
  return s;
}

void finish_run(const RunOutcome& out, const std::string& run_dir) {
  const auto& res = out.result;
  // The run's figures (a training run draws none itself: docs/architecture.md).
  write_run_figures(run_dir, out.kind, res.log, out.alpha_names(), out.alpha_means());
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
