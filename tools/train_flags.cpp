#include "train_flags.h"

#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>
#include <type_traits>

#include "avtune/audio/audio_transforms.h"
#include "avtune/io/checkpoint.h"
#include "avtune/io/weights_file.h"
#include "avtune/plot/run_figures.h"
#include "avtune/run/run_spec.h"
#include "avtune/util/json_fields.h"
#include "avtune/util/error.h"
#include "avtune/dist/launcher.h"
#include "avtune/dist/process_group.h"
#include "avtune/train/trainer.h"

namespace avtune::cli {

using nlohmann::json;

namespace {

// Allowed values of the enumerated fields, checked at parse time.
const std::map<std::string, std::vector<std::string>>& choices() {
  static const std::map<std::string, std::vector<std::string>> c = {
      {"modality", {"audio", "visual", "av"}},
      {"format", {"ks", "csv", "esc50", "image-folder", "cremad", "ave", "vggsound", "ucf101"}},
      {"fbank_stats", {"train", "given", "measured"}},
      {"preset", {"ks", "cremad", "esc50", "ave", "vggsound", "ucf101"}},
      {"fusion", {"concat", "sum", "film", "gated"}},
      {"abri", {"none", "batch", "channel"}},
      {"bn_reset", {"none", "all", "abnormal"}},
      {"optimizer", {"sgd", "adam", "adamw"}},
      {"schedule", {"constant", "step", "multistep", "cosine"}},
      {"dist_backend", {"auto", "gloo", "nccl"}},
      {"precision", {"fp32", "bf16", "fp16"}},
      {"balance", {"none", "ogm", "ogm-ge", "opm", "umt"}},
  };
  return c;
}

// Binds one field's flag, with help and default from the field's one declaration (run/run_spec.h,
// train/train_config.h): the bound member still holds its default when flags are registered. A
// boolean takes an optional value: the bare flag means true (--skip-bad), or say it (--channels-last false).
template <typename T>
void add_field_flag(CLI::App* cmd, Overrides& ov, const std::string& section, const char* key, const char* flag,
                    const char* help, T& member) {
  const std::string def = json_field_text(member);
  const std::string text = def.empty() ? std::string(help) : std::string(help) + " (default " + def + ")";
  CLI::Option* opt;
  if constexpr (std::is_same_v<T, bool>) {
    // A bare boolean flag means true (CLI11 gives a bare option its default_str, not the type's parse).
    opt = ov.add(cmd, flag, section, key, member, text)->expected(0, 1)->default_str("true")->option_text("[BOOLEAN]");
  } else {
    opt = ov.add(cmd, flag, section, key, member, text);
  }
  if constexpr (std::is_same_v<T, std::vector<int64_t>>) opt->delimiter(',');
  if (auto c = choices().find(key); c != choices().end()) opt->check(CLI::IsMember(c->second));
  // The field's range (train_setting_problem / setting_problem), as a usage error naming the flag.
  using E = std::conditional_t<std::is_same_v<T, std::vector<int64_t>>, int64_t, T>;
  if constexpr (std::is_arithmetic_v<E> && !std::is_same_v<E, bool>)
    opt->check(CLI::Validator(
        [section, k = std::string(key)](std::string& text) -> std::string {
          E v{};
          if (!CLI::detail::lexical_cast(text, v)) return "";  // CLI11's conversion reports it
          const json j = v;
          const std::string p = section.empty() ? train_setting_problem(k, j) : setting_problem(section, k, j);
          return p.empty() ? "" : "expected " + p + ", got " + text;
        },
        "", "range"));
}

// The flags of the named fields of a settings section, in `keys` order.
template <typename S>
void add_section_flags(CLI::App* cmd, Overrides& ov, const std::string& section, S& s,
                       std::initializer_list<const char*> keys) {
  for (const char* key : keys)
    for_each_field(s, [&](const char* k, const char* flag, const char* help, auto& member) {
      if (std::string(k) == key) add_field_flag(cmd, ov, section, k, flag, help, member);
    });
}

}  // namespace

void add_input_flags(CLI::App* cmd, Overrides& ov, DataSettings& d) {
  add_section_flags(cmd, ov, "data", d, {"frames", "image_size", "audio_frames", "mel_bins", "fbank_mean", "fbank_std", "fbank_stats"});
}

void add_data_flags(CLI::App* cmd, Overrides& ov, DataSettings& d, bool train_split, bool masks) {
  add_section_flags(cmd, ov, "data", d, {"preset", "root", "format"});
  if (train_split) add_section_flags(cmd, ov, "data", d, {"train_split"});
  add_section_flags(cmd, ov, "data", d, {"eval_split", "audio_dir", "visual_dir", "classes_file"});
  add_input_flags(cmd, ov, d);
  add_section_flags(cmd, ov, "data", d, {"skip_bad", "jpeg_draft"});
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
  cmd->add_option("--nproc", f.nproc,
                  "start N local worker processes, data parallel (batch size is per process); "
                  "leave it out under torchrun or srun")
      ->check(CLI::Range(1, 4096));
  if (set == ModelFlagSet::Full) add_section_flags(cmd, ov, "model", f.model, {"modality"});
  add_data_flags(cmd, ov, f.data, true, set == ModelFlagSet::Full);
  add_section_flags(cmd, ov, "model", f.model, {"depth", "width", "channels_last"});
  if (set != ModelFlagSet::Stage1) add_section_flags(cmd, ov, "model", f.model, {"fusion"});
  if (set == ModelFlagSet::Full) add_section_flags(cmd, ov, "model", f.model, {"init"});
  if (set != ModelFlagSet::NoInit)
    add_section_flags(cmd, ov, "model", f.model,
                      {"audio_init", "visual_init", "abri", "abri_alpha", "bn_reset", "bn_reset_threshold"});
  // Every engine setting that has a flag (train/train_config.h), in declaration order.
  for_each_field(f.engine, [&](const char* key, const char* flag, const char* help, auto& member) {
    if (*flag) add_field_flag(cmd, ov, "", key, flag, help, member);
  });
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

bool launch_workers_if_asked(const TrainFlags& f, const GlobalOptions& g) {
  if (f.nproc <= 1) return false;
  if (dist_env_from_environment().distributed())
    throw CLI::ValidationError("--nproc", "expected no --nproc under a launcher (torchrun, srun), got " + std::to_string(f.nproc));
  LaunchOptions o;
  o.nproc = f.nproc;
  o.args = without_option(command_line(), "--nproc");
  if (g.threads == 0) {  // share the cores, as torchrun does with OMP_NUM_THREADS
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    o.args.insert(o.args.begin() + 1, {"--threads", std::to_string(std::max(1u, cores / static_cast<unsigned>(f.nproc)))});
  }
  const LaunchResult r = launch_local_workers(o);
  if (r.failed_rank >= 0) fail_msg("launch", r.describe());
  return true;
}

bool secondary_rank() {
  const auto g = current_dist_group();
  return g && !g->is_main();
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
