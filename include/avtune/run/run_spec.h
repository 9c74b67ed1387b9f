#pragma once
// The typed "data" and "model" sections of a run's configuration (config.json): each field declared
// once, with its one default and its help text, in the field lists below. The JSON round trip, the
// CLI flags and their help strings are generated from those lists, so a default is stated once.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "avtune/audio/paper_input.h"

namespace avtune {

// What the data section describes: where a data set lives and how clips become model input.
struct DataSettings {
  std::string preset;  // a data set of the field: defaults for the keys below (run/dataset_presets.h)
  std::string root;
  std::string format = "ks";
  std::string train_split = "train";
  std::string eval_split = "test";
  std::string audio_dir, visual_dir, classes_file;
  int frames = 3;
  int64_t image_size = 224;
  int64_t audio_frames = kPaperAudioFrames;
  int64_t mel_bins = 128;
  double fbank_mean = kKineticsSoundsFbankMean;
  double fbank_std = kKineticsSoundsFbankStd;
  // train: a run measures its training split's fbank statistics at the start (cached) and records
  // them here as "measured"; given/measured: fbank_mean/fbank_std are used as they are. A section
  // that names fbank_mean or fbank_std without this key is "given" (flags, older configs, the study).
  std::string fbank_stats = "train";
  std::string mask_file;
  bool skip_bad = false;
  bool jpeg_draft = true;  // AVClipOptions::jpeg_draft: training frames decoded at a reduced size where it fits
};

// What the model section describes: the architecture, where encoders start from, and the paper's
// methods applied to them at the start of a run.
struct ModelSettings {
  std::string modality;  // audio|visual|av (required)
  int depth = 18;
  double width = 1.0;
  bool channels_last = true;
  std::string fusion = "concat";
  std::string init = "random", audio_init = "random", visual_init = "random";
  std::string abri = "none";
  double abri_alpha = 0.5;
  std::string bn_reset = "none";
  double bn_reset_threshold = 1e-6;
  bool freeze_encoder = false;
  int64_t classes = 0;  // filled in by the run from its data set (0 = not yet known)
  std::vector<std::string> class_names;  // the data set's, in label order (set by the run; predict reads them)
};

// One field of a section, for generated flags and documentation.
struct FieldInfo {
  std::string key;    // JSON key ("image_size")
  std::string flag;   // CLI flag ("--image-size"); empty for fields a command sets itself
  std::string help;   // what it means
  std::string value;  // the default, as text
};

// Visits every field of a section: f(key, flag, help, member). The single place where keys, flags,
// help and (through the struct) defaults are declared.
template <typename F>
void for_each_field(DataSettings& d, F&& f) {
  f("preset", "--preset", "data set preset ks|cremad|esc50|ave|vggsound|ucf101: its format, splits and normalisation (docs/datasets.md)",
    d.preset);
  f("root", "--data", "data set root", d.root);
  f("format", "--format", "layout of the data set: ks|csv|esc50|image-folder|cremad|ave|vggsound|ucf101", d.format);
  f("train_split", "--train-split", "training split", d.train_split);
  f("eval_split", "--eval-split", "evaluation split ('none' = no evaluation)", d.eval_split);
  f("audio_dir", "--audio-dir", "audio folder (empty: ROOT/audio/<split>)", d.audio_dir);
  f("visual_dir", "--visual-dir", "frames folder (empty: ROOT/visual/<split>)", d.visual_dir);
  f("classes_file", "--classes-file", "class names, one a line, in label order", d.classes_file);
  f("frames", "--frames", "frames per clip T", d.frames);
  f("image_size", "--image-size", "frame/image side in pixels", d.image_size);
  f("audio_frames", "--audio-frames", "fbank frames per clip", d.audio_frames);
  f("mel_bins", "--mel-bins", "mel bins", d.mel_bins);
  f("fbank_mean", "--fbank-mean", "fbank normalisation mean; the default is Kinetics-Sounds'", d.fbank_mean);
  f("fbank_std", "--fbank-std", "fbank normalisation std; the default is Kinetics-Sounds'", d.fbank_std);
  f("fbank_stats", "--fbank-stats",
    "fbank normalisation: train = measure the training split at the start of a run (cached, recorded in config.json), "
    "given = --fbank-mean/--fbank-std (implied when either is given)",
    d.fbank_stats);
  f("mask_file", "--mask-file", "Fusion Tuning: per-sample patch-mask ratios (`avtune fust masks`) for training",
    d.mask_file);
  f("skip_bad", "--skip-bad", "skip samples that fail to load (counted each epoch) instead of stopping", d.skip_bad);
  f("jpeg_draft", "--jpeg-draft",
    "training: decode JPEG frames at 1/2, 1/4 or 1/8 size where both sides stay >= 2x image_size (PIL's draft; "
    "false = full decode, PIL's pixels; docs/vision.md)",
    d.jpeg_draft);
}

template <typename F>
void for_each_field(ModelSettings& m, F&& f) {
  f("modality", "--modality", "audio|visual|av", m.modality);
  f("depth", "--depth", "ResNet depth 18|34", m.depth);
  f("width", "--width", "width multiplier", m.width);
  f("channels_last", "--channels-last", "NHWC weights and activations, faster on CPU (false = NCHW)", m.channels_last);
  f("fusion", "--fusion", "av fusion head: concat (the reference) | sum | film | gated", m.fusion);
  f("init", "--init", "uni-modal encoder: random|PATH[:conv1=sum|mean|replicate]", m.init);
  f("audio_init", "--audio-init", "audio encoder of an av model: random|PATH[:conv1=...]", m.audio_init);
  f("visual_init", "--visual-init", "visual encoder of an av model: random|PATH[:conv1=...]", m.visual_init);
  f("abri", "--abri", "ABRi twins on every BN: none|batch|channel", m.abri);
  f("abri_alpha", "--abri-alpha", "ABRi: initial weight of the pre-trained BN", m.abri_alpha);
  f("bn_reset", "--bn-reset", "after loading a pre-trained encoder, reset its BNs: none|all|abnormal", m.bn_reset);
  f("bn_reset_threshold", "--bn-reset-threshold", "--bn-reset abnormal: channels with |gamma| below this",
    m.bn_reset_threshold);
  f("freeze_encoder", "", "linear probe: the encoder frozen, only the classifier trains", m.freeze_encoder);
  f("classes", "", "number of classes (set by the run from its data set)", m.classes);
  f("class_names", "", "class names in label order (set by the run from its data set)", m.class_names);
}

// JSON -> settings: keys absent keep their default; an unknown key or a value of the wrong type throws
// avtune::Error naming the key and `source` (a file, or "command line").
DataSettings data_settings_from_json(const nlohmann::json& j, const std::string& source = "config");
ModelSettings model_settings_from_json(const nlohmann::json& j, const std::string& source = "config");
// What a field's value must be: "" when `v` is allowed for `key` of the section ("data" or "model"),
// else what is expected. Checked for config files and flags alike.
std::string setting_problem(const std::string& section, const std::string& key, const nlohmann::json& v);
nlohmann::json to_json(const DataSettings& d);
nlohmann::json to_json(const ModelSettings& m);

// Every field with its flag, help and default (for generated CLI help and docs).
std::vector<FieldInfo> data_fields();
std::vector<FieldInfo> model_fields();

}  // namespace avtune
