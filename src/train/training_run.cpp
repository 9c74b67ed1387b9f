#include "avtune/train/training_run.h"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "avtune/data/patch_mask.h"
#include "avtune/models/abri_weights.h"
#include "avtune/models/bn_reset.h"
#include "avtune/models/classifiers.h"
#include "avtune/models/model_factory.h"
#include "avtune/models/memory_format.h"
#include "avtune/util/runtime.h"
#include "avtune/report/run_figures.h"
#include "avtune/train/fusion_masks.h"
#include "avtune/train/linear_probe.h"
#include "avtune/util/atomic_file.h"
#include "avtune/util/error.h"

namespace avtune {

using nlohmann::json;

namespace {

json with_defaults(json section, const json& defaults) {
  if (section.is_null()) section = json::object();
  for (auto it = defaults.begin(); it != defaults.end(); ++it)
    if (!section.contains(it.key())) section[it.key()] = it.value();
  return section;
}

template <typename T>
T field(const json& section, const std::string& key, const std::string& what) {
  try {
    return section.at(key).get<T>();
  } catch (const json::exception&) {
    fail("train", "'" + key + "' in the " + what + " settings", section.contains(key) ? section[key].dump() : "nothing");
  }
}

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

json resolved_data(json d) {
  return with_defaults(std::move(d), {{"root", ""},
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
                                      {"fbank_std", kKineticsSoundsFbankStd},
                                      {"mask_file", ""},
                                      {"skip_bad", false}});
}

json resolved_model(json m) {
  return with_defaults(std::move(m), {{"modality", ""},
                                      {"depth", 18},
                                      {"width", 1.0},
                                      {"channels_last", true},
                                      {"init", "random"},
                                      {"audio_init", "random"},
                                      {"visual_init", "random"},
                                      {"abri", "none"},
                                      {"abri_alpha", 0.5},
                                      {"bn_reset", "none"},
                                      {"bn_reset_threshold", 1e-6},
                                      {"freeze_encoder", false},
                                      {"fusion", "concat"}});
}

Modality run_modality(const json& model) {
  const auto mod = field<std::string>(model, "modality", "model");
  if (mod.empty()) fail("train", "a modality audio|visual|av (--modality)", "none");
  return parse_modality(mod);
}

DatasetSpec dataset_spec_from(const json& d, Modality modality) {
  DatasetSpec s;
  s.format = field<std::string>(d, "format", "data");
  s.root = field<std::string>(d, "root", "data");
  if (s.root.empty()) fail("train", "a data set root (--data ROOT)", "none");
  if (s.format == "esc50" && modality != Modality::Audio)
    fail("train", "modality audio for the audio-only esc50 format", to_string(modality));
  if (s.format == "image-folder" && modality != Modality::Visual)
    fail("train", "modality visual for the image-folder format", to_string(modality));
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

std::shared_ptr<torch::nn::Module> build_run_model(const json& m, Modality modality, int64_t classes, bool fresh,
                                                   std::string* log) {
  ModelSpec spec;
  spec.kind = model_kind(modality);
  spec.depth = field<int>(m, "depth", "model");
  spec.width = field<double>(m, "width", "model");
  spec.num_classes = classes;
  spec.fusion = m.value("fusion", std::string("concat"));
  auto model = make_model(spec);
  auto note = [&](const std::string& s) {
    if (log) *log += s + "\n";
  };

  AbriConfig abri;
  abri.mode = parse_abri_mode(field<std::string>(m, "abri", "model"));
  abri.alpha = field<double>(m, "abri_alpha", "model");
  const std::string reset = field<std::string>(m, "bn_reset", "model");
  if (reset != "none" && reset != "all" && reset != "abnormal") fail("train", "bn_reset none|all|abnormal", "'" + reset + "'");
  const double threshold = field<double>(m, "bn_reset_threshold", "model");

  for (auto& slot : encoders_of(model)) {
    if (fresh) {
      const auto init = parse_encoder_init(field<std::string>(m, slot.init_key, "model"));
      if (!init.random) {
        const auto rep = init_encoder(*slot.enc, slot.in_channels, init, slot.prefix);
        note(fmt::format("{} encoder from {}: {}", slot.what, to_string(init), rep.summary()));
        // The baselines reset what the checkpoint brought; a random encoder has nothing to reset.
        if (reset == "all") note(fmt::format("{} encoder: reset {} BN layers", slot.what, reset_all_bn(*slot.enc)));
        if (reset == "abnormal")
          note(fmt::format("{} encoder: reset {} abnormal BN channels (|gamma| < {:g})", slot.what,
                           reset_abnormal_bn(*slot.enc, threshold), threshold));
      }
    }
    if (abri.mode != AbriMode::None) {
      slot.enc->enable_abri(abri);
      if (fresh) note(fmt::format("{} encoder: ABRi {} mode, alpha {:g}", slot.what, field<std::string>(m, "abri", "model"), abri.alpha));
    }
  }
  // After loading and ABRi: every 4-D weight, the twins' mixing weights included, takes the layout.
  set_channels_last(*model, m.value("channels_last", true));
  return model;
}

std::unique_ptr<ModelAdapter> run_adapter(const std::shared_ptr<torch::nn::Module>& net, const json& model) {
  auto adapter = make_adapter(net);
  if (model.value("freeze_encoder", false)) {
    if (adapter->kind() == "av") fail("probe", "an audio or visual model to probe", "av");
    adapter = std::make_unique<FrozenEncoderAdapter>(std::move(adapter));
  }
  return adapter;
}

RunOutcome run_training(TrainConfig cfg, bool quiet) {
  cfg.model = resolved_model(cfg.model);
  cfg.data = resolved_data(cfg.data);
  const Modality modality = run_modality(cfg.model);
  if (cfg.out_dir.empty()) fail("train", "a run directory (out_dir)", "none");

  const DatasetSpec spec = dataset_spec_from(cfg.data, modality);
  auto train_ds = open_dataset(spec, field<std::string>(cfg.data, "train_split", "data"), /*train=*/true);
  const std::string eval_split = field<std::string>(cfg.data, "eval_split", "data");
  std::shared_ptr<Dataset> eval_ds;
  if (eval_split != "none" && !eval_split.empty()) eval_ds = open_dataset(spec, eval_split, /*train=*/false);
  RunOutcome out;
  out.classes = static_cast<int64_t>(train_ds->class_names().size());
  if (eval_ds && eval_ds->class_names() != train_ds->class_names())
    fail("train", "the same classes in the training and evaluation splits",
         std::to_string(out.classes) + " vs " + std::to_string(eval_ds->class_names().size()) + " (or another order)");
  cfg.model["classes"] = out.classes;

  std::string log;
  std::shared_ptr<torch::nn::Module> net;
  std::unique_ptr<ModelAdapter> adapter;
  {
    std::lock_guard<std::mutex> rng_lock(global_rng_mutex());
    torch::manual_seed(cfg.seed);
    net = build_run_model(cfg.model, modality, out.classes, /*fresh=*/!cfg.resume, &log);
    adapter = run_adapter(net, cfg.model);
  }
  if (!quiet && !log.empty()) std::fprintf(stderr, "%s", log.c_str());

  SampleTransform transform;
  const auto mask_file = field<std::string>(cfg.data, "mask_file", "data");
  if (!mask_file.empty()) {
    auto ratios = read_mask_ratios_csv(mask_file);
    for (size_t i = 0; i < train_ds->size(); ++i)
      if (!ratios.count(train_ds->name_of(i)))
        fail("fust", "a mask ratio for every training sample", "none for '" + train_ds->name_of(i) + "'", {mask_file});
    transform = fusion_mask_transform(std::move(ratios), mask_file);
  }
  auto train_opts = loader_options(cfg, true);
  train_opts.skip_bad = field<bool>(cfg.data, "skip_bad", "data");
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
  out.result = fit(*adapter, train, eval.get(), cfg);

  const std::filesystem::path dir(cfg.out_dir);
  write_curve_png((dir / "curve.png").string(), out.result.log,
                  fmt::format("{} ({})", adapter->kind(), dir.filename().string()));
  const auto alphas = abri_alphas(adapter->module());
  if (!alphas.empty()) {
    write_file_atomic((dir / "abri_alpha.csv").string(), abri_alpha_csv(alphas));
    out.alpha_table = abri_alpha_table(alphas);
    std::vector<std::string> names;
    std::vector<double> means;
    for (const auto& a : alphas) {
      names.push_back(a.bn);
      means.push_back(a.mean);
    }
    write_alpha_png((dir / "abri_alpha.png").string(), names, means, "ABRi: learned alpha per BN layer");
  }
  return out;
}

}  // namespace avtune
