// avtune diagnose: dead-channel diagnosis of a checkpoint, per BN layer (parameters, and activations on data).
#include <cstdio>

#include "avtune/analysis/dead_channels.h"
#include "avtune/data/dataset_spec.h"
#include "avtune/data/loader.h"
#include "avtune/io/weights_file.h"
#include "avtune/models/classifiers.h"
#include "avtune/util/atomic_file.h"
#include "avtune/util/runtime.h"
#include "avtune/report/run_figures.h"
#include "cli_common.h"

namespace avtune::cli {

void register_diagnose(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("diagnose", "Dead-channel diagnosis per BN layer: abnormal |gamma|,|beta| and, with --data, channels that never fire");
  static std::string ckpt, compare, key, select, json_out, csv_out, plot_out, data, format = "ks", split = "test", modality = "visual";
  static DiagnoseOptions opts;
  static int64_t samples = 512, batch = 32, mel_bins = 128, audio_frames = 1024, image_size = 224;
  static int frames = 3;
  cmd->add_option("CKPT", ckpt, "weights: .pth (torch.save) or .safetensors")->required()->check(CLI::ExistingFile);
  cmd->add_option("--compare", compare, "a second checkpoint shown side by side (e.g. after fine-tuning)")->check(CLI::ExistingFile);
  cmd->add_option("--key", key, "sub-dict holding the weights (default: auto)");
  cmd->add_option("--select", select, "only layers under this prefix, which is dropped (e.g. audio_net.)");
  cmd->add_option("--threshold", opts.abs_thresholds, "absolute |gamma|,|beta| thresholds")->capture_default_str()->expected(1, 8);
  cmd->add_option("--rel-threshold", opts.rel_threshold, "relative to the layer's median |gamma|")->capture_default_str();
  cmd->add_option("--dead-fraction", opts.dead_sample_fraction, "a channel zero on at least this share of samples is dead")
      ->capture_default_str();
  cmd->add_option("--data", data, "data set root for the activation view");
  cmd->add_option("--format", format, "ks|csv|esc50|image-folder")->capture_default_str();
  cmd->add_option("--split", split, "split of --data")->capture_default_str();
  cmd->add_option("--modality", modality, "audio|visual: which input the encoder takes")->capture_default_str();
  cmd->add_option("--samples", samples, "samples for the activation view")->capture_default_str();
  cmd->add_option("--batch", batch, "batch size")->capture_default_str();
  cmd->add_option("--mel-bins", mel_bins, "audio: mel bins")->capture_default_str();
  cmd->add_option("--audio-frames", audio_frames, "audio: fbank frames")->capture_default_str();
  cmd->add_option("--frames", frames, "visual: frames per clip")->capture_default_str();
  cmd->add_option("--image-size", image_size, "visual: frame size")->capture_default_str();
  cmd->add_option("--json", json_out, "write the diagnosis as JSON");
  cmd->add_option("--csv", csv_out, "write one row per BN layer as CSV");
  cmd->add_option("--plot", plot_out, "write a bar chart per BN layer as PNG (Fig. 2a style)");
  cmd->callback([&g] {
    apply_runtime(g);
    auto load = [](const std::string& path) {
      auto sd = load_weights(WeightsSource{path, key});
      return select.empty() ? sd : select_prefix(sd, select);
    };
    const StateDict sd = load(ckpt);
    Diagnosis d = diagnose_parameters(sd, opts, ckpt);
    std::optional<Diagnosis> d2;
    if (!compare.empty()) d2 = diagnose_parameters(load(compare), opts, compare);
    if (!data.empty()) {
      const auto device = resolve_device(g.device);
      auto cfg = infer_resnet_config(sd, ckpt);
      DatasetSpec spec;
      spec.root = data;
      spec.format = format;
      spec.modality = parse_modality(modality);
      spec.clip.audio.fbank.num_mel_bins = static_cast<int>(mel_bins);
      spec.clip.audio.target_frames = audio_frames;
      spec.clip.frames = frames;
      spec.clip.image_size = image_size;
      spec.image_size = image_size;
      auto ds = open_dataset(spec, split, false);
      LoaderOptions lo;
      lo.batch_size = batch;
      lo.shuffle = false;
      DataLoader loader(ds, lo);
      auto run = [&](const StateDict& weights, Diagnosis& target) {
        ResNetEncoder enc(cfg);
        load_state_dict(*enc, weights);
        enc->to(device);
        loader.start_epoch(0);
        diagnose_activations(*enc, [&]() -> std::optional<torch::Tensor> {
          auto b = loader.next();
          if (!b) return std::nullopt;
          if (spec.modality == Modality::Audio) return b->audio;
          int64_t T = 1;
          return clips_to_frames(b->visual, ClipLayout::BCTHW, 3, &T);
        }, target, samples);
      };
      run(sd, d);
      if (d2) run(load(compare), *d2);
    }
    const Diagnosis* other = d2 ? &*d2 : nullptr;
    std::fputs(diagnosis_table(d, other).c_str(), stdout);
    if (!json_out.empty()) write_file_atomic(json_out, diagnosis_json(d, other));
    if (!csv_out.empty()) write_file_atomic(csv_out, diagnosis_csv(d, other));
    if (!plot_out.empty()) write_diagnosis_png(plot_out, d, other);
  });
}

}  // namespace avtune::cli
