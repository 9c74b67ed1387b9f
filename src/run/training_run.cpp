#include "avtune/models/encoder_init.h"
#include "avtune/run/training_run.h"
#include "avtune/run/run_spec.h"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "avtune/data/fbank_stats.h"
#include "avtune/dist/process_group.h"
#include "avtune/methods/patch_mask.h"
#include "avtune/methods/abri.h"
#include "avtune/methods/balance.h"
#include "avtune/methods/bn_reset.h"
#include "avtune/models/classifiers.h"
#include "avtune/models/model_factory.h"
#include "avtune/models/memory_format.h"
#include "avtune/util/runtime.h"
#include "avtune/methods/fusion_masks.h"
#include "avtune/methods/linear_probe.h"
#include "avtune/util/atomic_file.h"
#include "avtune/util/error.h"

namespace avtune {

using nlohmann::json;

namespace {

ModelKind model_kind(Modality m) {
  return m == Modality::Audio ? ModelKind::Audio : m == Modality::Visual ? ModelKind::Visual : ModelKind::AV;
}

// The encoders of a classifier with their input channels, init spec and the prefix their keys
// carry in a classifier checkpoint.
struct EncoderSlot {
  ResNetEncoder enc;
  int64_t in_channels;
  std::string init_key, prefix, what;
};

std::vector<EncoderSlot> encoders_of(const std::shared_ptr<torch::nn::Module>& model) {
  if (auto a = std::dynamic_pointer_cast<AudioClassifierImpl>(model)) return {{a->audio_net, 1, "init", "audio_net.", "audio"}};
  if (auto v = std::dynamic_pointer_cast<VisualClassifierImpl>(model))
    return {{v->visual_net, 3, "init", "visual_net.", "visual"}};
  if (auto av = std::dynamic_pointer_cast<AVClassifierImpl>(model))
    return {{av->audio_net, 1, "audio_init", "audio_net.", "audio"}, {av->visual_net, 3, "visual_init", "visual_net.", "visual"}};
  fail("train", "an audio, visual or av classifier", model ? model->name() : "null");
}

}  // namespace

json resolved_data(json d) { return to_json(data_settings_from_json(d, "the data section")); }

json resolved_model(json m) { return to_json(model_settings_from_json(m, "the model section")); }

Modality run_modality(const json& model) {
  const auto mod = model_settings_from_json(model, "the model section").modality;
  if (mod.empty()) fail("train", "a modality audio|visual|av (--modality)", "none");
  return parse_modality(mod);
}

DatasetSpec dataset_spec_from(const json& data, Modality modality) {
  const DataSettings d = data_settings_from_json(data, "the data section");
  DatasetSpec s;
  s.format = d.format;
  s.root = d.root;
  if (s.root.empty()) fail("train", "a data set root (--data ROOT)", "none");
  if (s.format == "esc50" && modality != Modality::Audio)
    fail("train", "modality audio for the audio-only esc50 format", to_string(modality));
  if (s.format == "image-folder" && modality != Modality::Visual)
    fail("train", "modality visual for the image-folder format", to_string(modality));
  s.audio_dir = d.audio_dir;
  s.visual_dir = d.visual_dir;
  s.classes_file = d.classes_file;
  s.modality = modality;
  s.clip.frames = d.frames;
  s.clip.image_size = d.image_size;
  s.clip.audio.target_frames = d.audio_frames;
  s.clip.audio.fbank.num_mel_bins = d.mel_bins;
  s.clip.audio.norm_mean = d.fbank_mean;
  s.clip.audio.norm_std = d.fbank_std;
  s.clip.allow_missing = d.skip_bad;  // --skip-bad: missing files are counted by the loader instead
  s.clip.jpeg_draft = d.jpeg_draft;
  return s;
}

std::shared_ptr<torch::nn::Module> build_run_model(const json& m, Modality modality, int64_t classes, bool fresh,
                                                   std::string* log) {
  const ModelSettings ms = model_settings_from_json(m, "the model section");
  ModelSpec spec;
  spec.kind = model_kind(modality);
  spec.depth = ms.depth;
  spec.width = ms.width;
  spec.num_classes = classes;
  spec.fusion = ms.fusion;
  auto model = make_model(spec);
  auto note = [&](const std::string& s) {
    if (log) *log += s + "\n";
  };

  AbriConfig abri;
  abri.mode = parse_abri_mode(ms.abri);
  abri.alpha = ms.abri_alpha;
  const std::string reset = ms.bn_reset;
  if (reset != "none" && reset != "all" && reset != "abnormal") fail("train", "bn_reset none|all|abnormal", "'" + reset + "'");
  const double threshold = ms.bn_reset_threshold;

  for (auto& slot : encoders_of(model)) {
    // Twins before the weights, so an ABRi checkpoint's twins and alpha continue (models/encoder_init.h);
    // a file without twins leaves them fresh. Neither step draws random numbers.
    if (abri.mode != AbriMode::None) slot.enc->enable_abri(abri);
    bool twins_loaded = false;
    if (fresh) {
      const auto init = parse_encoder_init(slot.init_key == "audio_init"    ? ms.audio_init
                                           : slot.init_key == "visual_init" ? ms.visual_init
                                                                            : ms.init);
      if (!init.random) {
        const auto rep = init_encoder(*slot.enc, slot.in_channels, init, slot.prefix);
        for (const auto& k : rep.loaded) twins_loaded |= k.find("fusion_weight") != std::string::npos;
        note(fmt::format("{} encoder from {}: {}", slot.what, to_string(init), rep.summary()));
        // The baselines reset what the checkpoint brought; a random encoder has nothing to reset.
        if (reset == "all") note(fmt::format("{} encoder: reset {} BN layers", slot.what, reset_all_bn(*slot.enc)));
        if (reset == "abnormal")
          note(fmt::format("{} encoder: reset {} abnormal BN channels (|gamma| < {:g})", slot.what,
                           reset_abnormal_bn(*slot.enc, threshold), threshold));
      }
    }
    if (abri.mode != AbriMode::None && fresh)
      note(twins_loaded ? fmt::format("{} encoder: ABRi {} mode, twins and alpha from the checkpoint", slot.what, ms.abri)
                        : fmt::format("{} encoder: ABRi {} mode, alpha {:g}", slot.what, ms.abri, abri.alpha));
  }
  // After loading and ABRi: every 4-D weight, the twins' mixing weights included, takes the layout.
  set_channels_last(*model, ms.channels_last);
  return model;
}

std::unique_ptr<ModelAdapter> run_adapter(const std::shared_ptr<torch::nn::Module>& net, const json& model) {
  auto adapter = make_adapter(net);
  if (model_settings_from_json(model, "the model section").freeze_encoder) {
    if (adapter->kind() == "av") fail("probe", "an audio or visual model to probe", "av");
    adapter = std::make_unique<FrozenEncoderAdapter>(std::move(adapter));
  }
  return adapter;
}

std::vector<std::string> RunOutcome::alpha_names() const {
  std::vector<std::string> v;
  for (const auto& a : alphas) v.push_back(a.bn);
  return v;
}

std::vector<double> RunOutcome::alpha_means() const {
  std::vector<double> v;
  for (const auto& a : alphas) v.push_back(a.mean);
  return v;
}

RunOutcome run_training(TrainConfig cfg, bool quiet) {
  // Under torchrun, srun or --nproc: join the group first (docs/distributed.md); rank 0 reports.
  DistOptions dopts;
  dopts.backend = cfg.dist_backend;
  dopts.timeout_s = cfg.dist_timeout;
  dopts.cuda = resolve_device(cfg.device).is_cuda();
  if (auto group = init_distributed(dopts)) {
    if (dopts.cuda && (cfg.device == "auto" || cfg.device == "cuda")) cfg.device = "cuda:" + std::to_string(group->local_rank());
    quiet = quiet || !group->is_main();
    if (!quiet)
      std::fprintf(stderr, "avtune: %d processes (%s, %s backend at %s:%d), batch %lld per process\n", group->world_size(),
                   group->env().source.c_str(), group->backend().c_str(), group->env().master_addr.c_str(),
                   group->env().master_port, static_cast<long long>(cfg.batch_size));
  }
  cfg.model = resolved_model(cfg.model);
  cfg.data = resolved_data(cfg.data);
  const Modality modality = run_modality(cfg.model);
  if (cfg.out_dir.empty()) fail("train", "a run directory (out_dir)", "none");
  // Balancing flags and UMT's teacher files before any expensive work (the statistics, the data).
  check_balance_settings(cfg, modality == Modality::AV);

  if (data_settings_from_json(cfg.data, "the data section").fbank_stats == "train" && modality != Modality::Visual) {
    // The training split's own fbank statistics, not Kinetics-Sounds' (docs/datasets.md); recorded
    // in config.json and the checkpoints, so eval, predict and a resumed run use the same numbers.
    const DataSettings d = data_settings_from_json(cfg.data, "the data section");
    bool cached = false;
    const FbankStats st = cached_fbank_statistics(dataset_spec_from(cfg.data, modality), d.train_split,
                                                  std::max(1, cfg.workers), !quiet, &cached);
    cfg.data["fbank_mean"] = st.mean;
    cfg.data["fbank_std"] = st.std;
    cfg.data["fbank_stats"] = "measured";
    if (!quiet)
      std::fprintf(stderr, "avtune: fbank statistics of the training split%s: mean %.4f, std %.4f\n",
                   cached ? " (cached)" : "", st.mean, st.std);
  }
  const DataSettings data = data_settings_from_json(cfg.data, "the data section");
  const DatasetSpec spec = dataset_spec_from(cfg.data, modality);
  auto train_ds = open_dataset(spec, data.train_split, /*train=*/true);
  const std::string eval_split = data.eval_split;
  std::shared_ptr<Dataset> eval_ds;
  if (eval_split != "none" && !eval_split.empty()) eval_ds = open_dataset(spec, eval_split, /*train=*/false);
  RunOutcome out;
  out.classes = static_cast<int64_t>(train_ds->class_names().size());
  if (eval_ds && eval_ds->class_names() != train_ds->class_names())
    fail("train", "the same classes in the training and evaluation splits",
         std::to_string(out.classes) + " vs " + std::to_string(eval_ds->class_names().size()) + " (or another order)");
  cfg.model["classes"] = out.classes;
  cfg.model["class_names"] = train_ds->class_names();  // config.json and every checkpoint name the classes

  std::string log;
  std::shared_ptr<torch::nn::Module> net;
  std::unique_ptr<ModelAdapter> adapter;
  {
    std::lock_guard<std::mutex> rng_lock(global_rng_mutex());
    torch::manual_seed(cfg.seed);
    net = build_run_model(cfg.model, modality, out.classes, /*fresh=*/!cfg.resume, &log);
    adapter = run_adapter(net, cfg.model);
  }
  Balance balance = make_balance(cfg, net, std::move(adapter));  // modality balancing: docs/balancing.md
  adapter = std::move(balance.adapter);
  if (!quiet && !log.empty()) std::fprintf(stderr, "%s", log.c_str());

  SampleTransform transform;
  const std::string& mask_file = data.mask_file;
  if (!mask_file.empty()) {
    auto ratios = read_mask_ratios_csv(mask_file);
    for (size_t i = 0; i < train_ds->size(); ++i)
      if (!ratios.count(train_ds->name_of(i)))
        fail("fust", "a mask ratio for every training sample", "none for '" + train_ds->name_of(i) + "'", {mask_file});
    transform = fusion_mask_transform(std::move(ratios), mask_file);
  }
  auto train_opts = loader_options(cfg, true);
  train_opts.skip_bad = data.skip_bad;
  DataLoader train(train_ds, train_opts, transform);
  std::unique_ptr<DataLoader> eval;
  if (eval_ds) {
    auto eval_opts = loader_options(cfg, false);
    eval_opts.skip_bad = train_opts.skip_bad;
    eval = std::make_unique<DataLoader>(eval_ds, eval_opts);
  }
  out.train_samples = train_ds->size();
  out.eval_samples = eval_ds ? eval_ds->size() : 0;
  if (!quiet)
    std::fprintf(stderr, "avtune: %zu training / %zu evaluation samples, %lld classes, run directory %s\n",
                 out.train_samples, out.eval_samples, static_cast<long long>(out.classes), cfg.out_dir.c_str());
  out.result = fit(*adapter, train, eval.get(), cfg, nullptr, balance.hook);
  out.kind = adapter->kind();

  // Figures (curve, ABRi's alphas) are drawn by the caller from these results (docs/architecture.md).
  const std::filesystem::path dir(cfg.out_dir);
  out.alphas = abri_alphas(adapter->module());
  const auto group = current_dist_group();
  if (!out.alphas.empty() && (!group || group->is_main())) {
    write_file_atomic((dir / "abri_alpha.csv").string(), abri_alpha_csv(out.alphas));
    out.alpha_table = abri_alpha_table(out.alphas);
  }
  return out;
}

}  // namespace avtune
