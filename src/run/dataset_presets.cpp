#include "avtune/run/dataset_presets.h"

#include <map>

#include "avtune/audio/paper_input.h"
#include "avtune/util/error.h"

namespace avtune {

using nlohmann::json;

namespace {
const std::map<std::string, json>& presets() {
  static const std::map<std::string, json> p = {
      // Kinetics-Sounds in the reference's list layout (<split>_1fps_path.txt, audio/, visual/ at 1 fps),
      // normalised with the statistics the reference loader hard-codes.
      {"ks",
       {{"format", "ks"}, {"train_split", "train"}, {"eval_split", "test"}, {"fbank_mean", kKineticsSoundsFbankMean},
        {"fbank_std", kKineticsSoundsFbankStd}, {"fbank_stats", "given"}, {"frames", 3}, {"image_size", 224},
        {"audio_frames", kPaperAudioFrames}, {"mel_bins", 128}}},
      // CREMA-D after `avtune preprocess` of VideoFlash/ (.flv): audio/<split>/, visual/<split>/, and
      // <split>.csv of name,EMOTION rows if given, else the emotion in each name (1001_DFA_ANG_XX); six
      // classes in the lab's order. The reference gives no fbank statistics for it: measured.
      {"cremad", {{"format", "cremad"}, {"train_split", "train"}, {"eval_split", "test"}, {"fbank_stats", "train"}}},
      // ESC-50 as it ships (audio/*.wav, meta/esc50.csv): folds 1-4 train, fold 5 evaluates.
      {"esc50", {{"format", "esc50"}, {"train_split", "train"}, {"eval_split", "test"}, {"fbank_stats", "train"}}},
      // AVE, VGGSound and UCF-101: their shipped split lists over the preprocessed pool of clips
      // (data/shipped_lists.h); the lab's loaders for them use no fbank statistics: measured.
      {"ave", {{"format", "ave"}, {"train_split", "train"}, {"eval_split", "test"}, {"fbank_stats", "train"}}},
      {"vggsound", {{"format", "vggsound"}, {"train_split", "train"}, {"eval_split", "test"}, {"fbank_stats", "train"}}},
      {"ucf101", {{"format", "ucf101"}, {"train_split", "train"}, {"eval_split", "test"}, {"fbank_stats", "train"}}},
  };
  return p;
}
}  // namespace

std::vector<std::string> dataset_preset_names() {
  std::vector<std::string> n;
  for (const auto& [k, v] : presets()) n.push_back(k);
  return n;
}

json dataset_preset(const std::string& name) {
  auto it = presets().find(name);
  if (it == presets().end()) {
    std::string names;
    for (const auto& n : dataset_preset_names()) names += (names.empty() ? "" : "|") + n;
    fail("config", "a data set preset " + names, "'" + name + "'");
  }
  return it->second;
}

}  // namespace avtune
