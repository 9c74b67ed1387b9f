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
#include "cli_common.h"

namespace avtune::cli {

namespace {

using nlohmann::json;

// Options whose values reach the JSON overrides only when given on the command line.
class Overrides {
 public:
  template <typename T>
  CLI::Option* add(CLI::App* cmd, const std::string& flag, const std::string& section, const std::string& key,
                   T& var, const std::string& help) {
    auto* opt = cmd->add_option(flag, var, help);
    bind(opt, section, key, var);
    return opt;
  }
  CLI::Option* flag(CLI::App* cmd, const std::string& flag, const std::string& key, bool& var, const std::string& help) {
    auto* opt = cmd->add_flag(flag, var, help);
    bind(opt, "", key, var);
    return opt;
  }
  json collect() const {
    json j = json::object();
    for (const auto& a : appliers_) a(j);
    return j;
  }

 private:
  template <typename T>
  void bind(CLI::Option* opt, const std::string& section, const std::string& key, T& var) {
    appliers_.push_back([opt, section, key, &var](json& j) {
      if (opt->count() == 0) return;
      (section.empty() ? j[key] : j[section][key]) = var;
    });
  }
  std::vector<std::function<void(json&)>> appliers_;
};

struct DataFlags {
  std::string root, format, train_split, eval_split, audio_dir, visual_dir, classes_file;
  int frames = 3;
  int64_t image_size = 224, audio_frames = kPaperAudioFrames, mel_bins = 128;
  double fbank_mean = kKineticsSoundsFbankMean, fbank_std = kKineticsSoundsFbankStd;
};

void add_data_flags(CLI::App* cmd, Overrides& ov, DataFlags& d, bool with_train_split) {
  ov.add(cmd, "--data", "data", "root", d.root, "data set root");
  ov.add(cmd, "--format", "data", "format", d.format, "ks|csv|esc50|image-folder (default ks)");
  if (with_train_split) ov.add(cmd, "--train-split", "data", "train_split", d.train_split, "training split (default train)");
  ov.add(cmd, "--eval-split", "data", "eval_split", d.eval_split, "evaluation split (default test; 'none' = no evaluation)");
  ov.add(cmd, "--audio-dir", "data", "audio_dir", d.audio_dir, "audio folder (default ROOT/audio/<split>)");
  ov.add(cmd, "--visual-dir", "data", "visual_dir", d.visual_dir, "frames folder (default ROOT/visual/<split>)");
  ov.add(cmd, "--classes-file", "data", "classes_file", d.classes_file, "class names, one a line, in label order");
  ov.add(cmd, "--frames", "data", "frames", d.frames, "frames per clip T (default 3)");
  ov.add(cmd, "--image-size", "data", "image_size", d.image_size, "frame/image side in pixels (default 224)");
  ov.add(cmd, "--audio-frames", "data", "audio_frames", d.audio_frames, "fbank frames per clip (default 1024)");
  ov.add(cmd, "--mel-bins", "data", "mel_bins", d.mel_bins, "mel bins (default 128)");
  ov.add(cmd, "--fbank-mean", "data", "fbank_mean", d.fbank_mean, "fbank normalisation mean (default Kinetics-Sounds')");
  ov.add(cmd, "--fbank-std", "data", "fbank_std", d.fbank_std, "fbank normalisation std (default Kinetics-Sounds')");
}

// The "data" section with every default filled in (what config.json records).
json resolved_data(json d) {
  const json defaults = {{"root", ""},
                         {"format", "ks"},
                         {"train_split", "train"},
                         {"eval_split", "test"},
                         {"audio_dir", ""},
                         {"visual_dir", ""},
                         {"classes_file", ""},
                         {"frames", 3},
                         {"image_size", 224},
                         {"audio_frames", kPaperAudioFrames},
                         {"mel_bins", 128},
                         {"fbank_mean", kKineticsSoundsFbankMean},
                         {"fbank_std", kKineticsSoundsFbankStd}};
  for (auto it = defaults.begin(); it != defaults.end(); ++it)
    if (!d.contains(it.key())) d[it.key()] = it.value();
  return d;
}

json resolved_model(json m) {
  const json defaults = {{"modality", ""}, {"depth", 18}, {"width", 1.0}, {"init", "random"},
                         {"audio_init", "random"}, {"visual_init", "random"}};
  for (auto it = defaults.begin(); it != defaults.end(); ++it)
    if (!m.contains(it.key())) m[it.key()] = it.value();
  return m;
}

template <typename T>
T field(const json& section, const std::string& key, const std::string& what) {
  try {
    return section.at(key).get<T>();
  } catch (const json::exception&) {
    fail("cli", "'" + key + "' in the " + what + " settings", section.contains(key) ? section[key].dump() : "nothing");
  }
}

DatasetSpec dataset_spec(const json& d, Modality modality) {
  DatasetSpec s;
  s.format = field<std::string>(d, "format", "data");
  s.root = field<std::string>(d, "root", "data");
  if (s.root.empty()) fail("cli", "a data set root (--data ROOT)", "none");
  if (s.format == "esc50" && modality != Modality::Audio)
    fail("cli", "--modality audio for the audio-only esc50 format", to_string(modality));
  if (s.format == "image-folder" && modality != Modality::Visual)
    fail("cli", "--modality visual for the image-folder format", to_string(modality));
  s.audio_dir = field<std::string>(d, "audio_dir", "data");
  s.visual_dir = field<std::string>(d, "visual_dir", "data");
  s.classes_file = field<std::string>(d, "classes_file", "data");
  s.modality = modality;
  s.clip.frames = field<int>(d, "frames", "data");
  s.clip.image_size = field<int64_t>(d, "image_size", "data");
  s.image_size = s.clip.image_size;
  s.clip.audio.target_frames = field<int64_t>(d, "audio_frames", "data");
  s.clip.audio.fbank.num_mel_bins = field<int64_t>(d, "mel_bins", "data");
  s.clip.audio.norm_mean = field<double>(d, "fbank_mean", "data");
  s.clip.audio.norm_std = field<double>(d, "fbank_std", "data");
  return s;
}

ModelKind model_kind(Modality m) {
  return m == Modality::Audio ? ModelKind::Audio : m == Modality::Visual ? ModelKind::Visual : ModelKind::AV;
}

std::shared_ptr<torch::nn::Module> build_model(const json& model, Modality modality, int64_t classes) {
  ModelSpec spec;
  spec.kind = model_kind(modality);
  spec.depth = field<int>(model, "depth", "model");
  spec.width = field<double>(model, "width", "model");
  spec.num_classes = classes;
  return make_model(spec);
}

void apply_inits(const std::shared_ptr<torch::nn::Module>& model, const json& m, bool quiet) {
  auto init = [&](torch::nn::Module& enc, int64_t in_ch, const std::string& spec, const char* prefix, const char* what) {
    const auto e = parse_encoder_init(spec);
    if (e.random) return;
    const auto rep = init_encoder(enc, in_ch, e, prefix);
    if (!quiet) std::fprintf(stderr, "avtune: %s encoder from %s: %s\n", what, to_string(e).c_str(), rep.summary().c_str());
  };
  if (auto a = std::dynamic_pointer_cast<AudioClassifierImpl>(model))
    init(*a->audio_net, 1, field<std::string>(m, "init", "model"), "audio_net.", "audio");
  else if (auto v = std::dynamic_pointer_cast<VisualClassifierImpl>(model))
    init(*v->visual_net, 3, field<std::string>(m, "init", "model"), "visual_net.", "visual");
  else if (auto av = std::dynamic_pointer_cast<AVClassifierImpl>(model)) {
    init(*av->audio_net, 1, field<std::string>(m, "audio_init", "model"), "audio_net.", "audio");
    init(*av->visual_net, 3, field<std::string>(m, "visual_init", "model"), "visual_net.", "visual");
  }
}

std::string default_run_dir(const std::string& modality) {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::localtime(&t));
  return "runs/" + std::string(buf) + "-" + modality;
}

void write_json(const std::string& path, const json& j) { write_file_atomic(path, j.dump(2) + "\n"); }

}  // namespace

void register_train(CLI::App& app, GlobalOptions& g) {
  {
    auto* cmd = app.add_subcommand("train", "Train an audio, visual or audio-visual classifier (see docs/training.md)");
    struct State {
      Overrides ov;
      DataFlags data;
      std::string config, modality, init, audio_init, visual_init, out, optimizer, schedule;
      int depth = 18, workers = 2;
      double width = 1.0, lr = 0, momentum = 0, weight_decay = 0, grad_clip = 0, gamma = 0, min_lr = 0, warmup = 0;
      int64_t epochs = 0, batch_size = 0, step_size = 0, eval_every = 1;
      std::vector<int64_t> milestones;
      bool nesterov = false, decay_exclude = true, resume = false;
      uint64_t seed = 0;
    };
    auto st = std::make_shared<State>();
    auto& ov = st->ov;
    cmd->add_option("--config", st->config, "JSON file of settings (keys as in config.json); flags override it");
    ov.add(cmd, "--modality", "model", "modality", st->modality, "audio|visual|av")->check(CLI::IsMember({"audio", "visual", "av"}));
    add_data_flags(cmd, ov, st->data, true);
    ov.add(cmd, "--depth", "model", "depth", st->depth, "ResNet depth 18|34 (default 18)");
    ov.add(cmd, "--width", "model", "width", st->width, "width multiplier (default 1.0)");
    ov.add(cmd, "--init", "model", "init", st->init, "uni-modal encoder: random|PATH[:conv1=sum|mean|replicate]");
    ov.add(cmd, "--audio-init", "model", "audio_init", st->audio_init, "av: audio encoder, random|PATH[:conv1=...]");
    ov.add(cmd, "--visual-init", "model", "visual_init", st->visual_init, "av: visual encoder, random|PATH[:conv1=...]");
    ov.add(cmd, "--epochs", "", "epochs", st->epochs, "epochs (default 10)");
    ov.add(cmd, "--batch-size", "", "batch_size", st->batch_size, "batch size (default 32)");
    ov.add(cmd, "--optimizer", "", "optimizer", st->optimizer, "sgd|adam|adamw (default sgd)");
    ov.add(cmd, "--lr", "", "lr", st->lr, "base learning rate (default 0.01)");
    ov.add(cmd, "--momentum", "", "momentum", st->momentum, "SGD momentum (default 0.9)");
    ov.flag(cmd, "--nesterov", "nesterov", st->nesterov, "Nesterov momentum");
    ov.add(cmd, "--weight-decay", "", "weight_decay", st->weight_decay, "weight decay (default 1e-4)");
    ov.add(cmd, "--decay-exclude", "", "decay_exclude", st->decay_exclude,
           "no weight decay on BatchNorm, biases and ABRi mixing weights (default true)");
    ov.add(cmd, "--grad-clip", "", "grad_clip", st->grad_clip, "clip the global gradient norm (0 = off)");
    ov.add(cmd, "--schedule", "", "schedule", st->schedule, "constant|step|multistep|cosine (default constant)");
    ov.add(cmd, "--step-size", "", "step_size", st->step_size, "step: epochs between decays");
    ov.add(cmd, "--milestones", "", "milestones", st->milestones, "multistep: epochs, comma-separated")->delimiter(',');
    ov.add(cmd, "--gamma", "", "gamma", st->gamma, "step/multistep: decay factor (default 0.1)");
    ov.add(cmd, "--min-lr", "", "min_lr", st->min_lr, "cosine: final rate (default 0)");
    ov.add(cmd, "--warmup-epochs", "", "warmup_epochs", st->warmup, "linear warm-up epochs (default 0)");
    ov.add(cmd, "--eval-every", "", "eval_every", st->eval_every, "evaluate every N epochs (0 = only after the last)");
    ov.add(cmd, "--seed", "", "seed", st->seed, "seed of init, order and augmentation (default 0)");
    ov.add(cmd, "--workers", "", "workers", st->workers, "loader threads (default 2)");
    ov.add(cmd, "--out", "", "out_dir", st->out, "run directory (default runs/<timestamp>-<modality>)");
    ov.flag(cmd, "--resume", "resume", st->resume, "continue the run in --out from its last.pth");
    cmd->callback([st, &g] {
      apply_runtime(g);
      json overrides = st->ov.collect();
      if (g.device != "auto") overrides["device"] = g.device;
      if (g.quiet) overrides["progress"] = false;
      // Resuming without --config re-reads the run's own config.json: same data, model and settings.
      std::string config = st->config;
      if (config.empty() && st->resume && !st->out.empty()) {
        const auto saved = (std::filesystem::path(st->out) / RunFiles::kConfig).string();
        if (std::filesystem::exists(saved)) config = saved;
      }
      TrainConfig cfg = resolve_train_config(config, overrides);
      cfg.model = resolved_model(cfg.model);
      cfg.data = resolved_data(cfg.data);
      const std::string mod = field<std::string>(cfg.model, "modality", "model");
      if (mod.empty()) fail("cli", "--modality audio|visual|av", "none");
      const Modality modality = parse_modality(mod);
      if (cfg.out_dir.empty()) cfg.out_dir = default_run_dir(mod);

      const DatasetSpec spec = dataset_spec(cfg.data, modality);
      auto train_ds = open_dataset(spec, field<std::string>(cfg.data, "train_split", "data"), /*train=*/true);
      const std::string eval_split = field<std::string>(cfg.data, "eval_split", "data");
      std::shared_ptr<Dataset> eval_ds;
      if (eval_split != "none" && !eval_split.empty()) eval_ds = open_dataset(spec, eval_split, /*train=*/false);
      const auto classes = static_cast<int64_t>(train_ds->class_names().size());
      if (eval_ds && eval_ds->class_names() != train_ds->class_names())
        fail("cli", "the same classes in the training and evaluation splits",
             std::to_string(classes) + " vs " + std::to_string(eval_ds->class_names().size()) + " (or another order)");
      cfg.model["classes"] = classes;

      torch::manual_seed(cfg.seed);
      auto net = build_model(cfg.model, modality, classes);
      if (!cfg.resume) apply_inits(net, cfg.model, g.quiet);
      auto adapter = make_adapter(net);
      DataLoader train(train_ds, loader_options(cfg, true));
      std::unique_ptr<DataLoader> eval;
      if (eval_ds) eval = std::make_unique<DataLoader>(eval_ds, loader_options(cfg, false));
      if (!g.quiet)
        std::fprintf(stderr, "avtune: %zu training / %zu evaluation samples, %lld classes, run directory %s\n",
                     train_ds->size(), eval_ds ? eval_ds->size() : size_t{0}, static_cast<long long>(classes),
                     cfg.out_dir.c_str());
      const TrainResult res = fit(*adapter, train, eval.get(), cfg);
      if (res.best_top1 >= 0)
        std::printf("best eval top-1 %.2f%% at epoch %lld; run in %s\n", 100 * res.best_top1,
                    static_cast<long long>(res.best_epoch), cfg.out_dir.c_str());
      else
        std::printf("trained %lld epochs; run in %s\n", static_cast<long long>(res.epochs_done), cfg.out_dir.c_str());
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
    add_data_flags(cmd, st->ov, st->data, false);
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
      const std::string mod = field<std::string>(model, "modality", "model");
      if (mod.empty()) fail("cli", "--modality audio|visual|av", "none");
      const Modality modality = parse_modality(mod);
      std::string split = st->split.empty() ? field<std::string>(data, "eval_split", "data") : st->split;
      if (split.empty() || split == "none") split = "test";
      auto ds = open_dataset(dataset_spec(data, modality), split, /*train=*/false);
      const auto classes = static_cast<int64_t>(ds->class_names().size());
      auto net = build_model(model, modality, classes);
      const auto rep = load_state_dict(*net, weights);  // strict: the right model or a clear error
      (void)rep;
      auto adapter = make_adapter(net);
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
