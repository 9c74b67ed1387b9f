// avtune diagnose: dead-channel diagnosis of a checkpoint, per BN layer (parameters, and activations on data).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>

#include "avtune/io/checkpoint.h"
#include "avtune/io/weights_file.h"
#include "avtune/methods/dead_channels_on_data.h"
#include "avtune/plot/run_figures.h"
#include "avtune/run/training_run.h"
#include "avtune/util/atomic_file.h"
#include "train_flags.h"

namespace avtune::cli {

namespace {
struct DiagnoseCmd {
  std::string ckpt, compare, key, select, json_out, csv_out, plot_out, split = "test", modality;
  DiagnoseOptions opts;
  OnDataOptions on_data;
  Overrides ov;  // the data set flags, resolved with the same defaults as `train`
  DataFlags data;
};
}  // namespace

void register_diagnose(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("diagnose", "Dead-channel diagnosis per BN layer: abnormal |gamma|,|beta| and, with --data, channels that never fire");
  auto o = std::make_shared<DiagnoseCmd>();
  cmd->add_option("CKPT", o->ckpt, "weights: .pth (torch.save, avtune checkpoints included) or .safetensors")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--compare", o->compare, "a second checkpoint shown side by side (e.g. after fine-tuning)")->check(CLI::ExistingFile);
  cmd->add_option("--key", o->key, "sub-dict holding the weights (default: auto)");
  cmd->add_option("--select", o->select,
                  "only layers under this prefix, which is dropped (e.g. audio_net.); default: each encoder of a classifier "
                  "checkpoint (audio_net., visual_net.) in turn");
  cmd->add_option("--threshold", o->opts.abs_thresholds, "absolute |gamma|,|beta| thresholds")->capture_default_str()->expected(1, 8)
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--rel-threshold", o->opts.rel_threshold, "relative to the layer's median |gamma|")->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--dead-fraction", o->opts.dead_sample_fraction, "a channel zero on at least this share of samples is dead")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  o->ov.add(cmd, "--data", "data", "root", o->data.root, "data set root for the activation view");
  o->ov.add(cmd, "--format", "data", "format", o->data.format, "ks|csv|esc50|image-folder|cremad|ave|vggsound|ucf101 (default ks)");
  o->ov.add(cmd, "--audio-dir", "data", "audio_dir", o->data.audio_dir, "audio folder (default ROOT/audio/<split>)");
  o->ov.add(cmd, "--visual-dir", "data", "visual_dir", o->data.visual_dir, "frames folder (default ROOT/visual/<split>)");
  add_input_flags(cmd, o->ov, o->data);
  cmd->add_option("--split", o->split, "split of --data")->capture_default_str();
  // The paper measures a source encoder on the target modality (the paper's dead-channel analysis): a visual model on audio works,
  // its input adapted 1 <-> 3 channels as in training.
  cmd->add_option("--modality", o->modality,
                  "audio|visual: the data the encoder is measured on (default: audio for a 1-channel encoder, visual for 3)")
      ->check(CLI::IsMember({"audio", "visual"}));
  cmd->add_option("--samples", o->on_data.max_samples, "samples for the activation view (the first of the split)")->capture_default_str();
  cmd->add_option("--batch", o->on_data.batch_size, "batch size")->capture_default_str();
  cmd->add_option("--workers", o->on_data.workers, "loader threads")->capture_default_str();
  cmd->add_option("--json", o->json_out, "write the diagnosis as JSON");
  cmd->add_option("--csv", o->csv_out, "write one row per BN layer as CSV");
  cmd->add_option("--plot", o->plot_out, "write a bar chart per BN layer (Fig. 2a style): .png, .svg or .pdf");
  cmd->callback([o, &g] {
    apply_runtime(g);
    // The encoders to diagnose: --select's, else the checkpoint itself when it is one encoder, else
    // every encoder of a classifier checkpoint (a run's: audio_net., visual_net.).
    std::vector<std::string> prefixes = {o->select};
    if (o->select.empty()) {
      WeightsSource src;
      src.path = o->ckpt;
      src.key = o->key;
      const StateDict all = load_weights(src);
      if (!all.contains("conv1.weight")) {
        std::vector<std::string> found;
        for (const char* p : {"audio_net.", "visual_net."})
          if (all.contains(std::string(p) + "conv1.weight")) found.push_back(p);
        if (!found.empty()) prefixes = found;
      }
    }
    // A run checkpoint's data options (normalisation included) are the defaults of --data's.
    nlohmann::json data = o->ov.collect().value("data", nlohmann::json::object());
    if (is_run_checkpoint(o->ckpt)) {
      const auto saved = load_saved_weights(o->ckpt, /*with_weights=*/false);
      if (saved.config) {
        nlohmann::json d = saved.config->data;
        d.update(data);
        data = d;
      }
    }
    const bool several = prefixes.size() > 1;
    nlohmann::json all_json = nlohmann::json::object();
    std::string all_csv;
    for (const auto& prefix : prefixes) {
      const StateDict sd = load_encoder_weights(o->ckpt, prefix, o->key);
      Diagnosis d = diagnose_parameters(sd, o->opts, o->ckpt);
      std::optional<Diagnosis> d2;
      StateDict sd2;
      if (!o->compare.empty()) {
        sd2 = load_encoder_weights(o->compare, prefix, o->key);
        d2 = diagnose_parameters(sd2, o->opts, o->compare);
      }
      if (!o->data.root.empty()) {
        const Modality on = !o->modality.empty()                                ? parse_modality(o->modality)
                            : prefix == "audio_net."                            ? Modality::Audio
                            : prefix == "visual_net."                           ? Modality::Visual
                            : infer_resnet_config(sd, o->ckpt).in_channels == 1 ? Modality::Audio
                                                                                : Modality::Visual;
        const DatasetSpec spec = dataset_spec_from(resolved_data(data), on);
        OnDataOptions od = o->on_data;
        od.device = g.device;
        add_activation_view(d, sd, o->ckpt, spec, o->split, on, od);
        if (d2) add_activation_view(*d2, sd2, o->compare, spec, o->split, on, od);
      }
      const Diagnosis* other = d2 ? &*d2 : nullptr;
      if (several) std::printf("== %s encoder (%s) ==\n", prefix.substr(0, prefix.size() - 5).c_str(), prefix.c_str());
      std::fputs(diagnosis_table(d, other).c_str(), stdout);
      if (several) std::printf("\n");
      all_json[prefix.empty() ? "encoder" : prefix] = nlohmann::json::parse(diagnosis_json(d, other));
      std::string csv = diagnosis_csv(d, other);
      if (several) {  // one file: an encoder column in front
        std::string out;
        std::istringstream lines(csv);
        bool header = true;
        for (std::string line; std::getline(lines, line); header = false)
          if (!(header && !all_csv.empty())) out += (header ? std::string("encoder") : prefix) + "," + line + "\n";
        csv = out;
      }
      all_csv += csv;
      if (!o->plot_out.empty()) {
        std::filesystem::path plot(o->plot_out);
        if (several) plot.replace_filename(plot.stem().string() + "-" + prefix.substr(0, prefix.size() - 1) + plot.extension().string());
        write_diagnosis_figure(plot.string(), d, other);
      }
    }
    if (!o->json_out.empty())
      write_file_atomic(o->json_out, (several ? all_json : all_json.begin().value()).dump(2) + "\n");
    if (!o->csv_out.empty()) write_file_atomic(o->csv_out, all_csv);
  });
}

}  // namespace avtune::cli
