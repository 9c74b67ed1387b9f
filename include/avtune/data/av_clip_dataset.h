#pragma once
// Audio-visual clips on disk in the Kinetics-Sounds layout (and any list that names clips):
//   audio  <audio_dir>/<name><audio_ext>          (wav/flac/ogg, any rate: resampled)
//   frames <visual_dir>/<name>/frame_00001.jpg …  (1 fps)
// with audio-only and visual-only views of the same clips.
#include <memory>
#include <string>

#include "avtune/audio/audio_transforms.h"
#include "avtune/data/clip_list.h"
#include "avtune/data/dataset.h"
#include "avtune/vision/frame_sampling.h"
#include "avtune/vision/image_transforms.h"

namespace avtune {

enum class Modality { Audio, Visual, AV };
Modality parse_modality(const std::string& s);  // audio|visual|av
std::string to_string(Modality m);

struct AVClipOptions {
  Modality modality = Modality::AV;
  bool train = false;                 // train: random frames + RandomResizedCrop/flip; eval: middle frames + Resize
  std::string audio_dir, visual_dir;  // folders holding this split's clips
  std::string audio_ext = ".wav";
  AudioInputOptions audio;            // fbank, length, normalisation
  int64_t spec_freq_mask = 0, spec_time_mask = 0;  // SpecAugment in training (0 = off)
  int frames = 3;                     // T
  FrameSamplingRule frame_sampling = FrameSamplingRule::Reference;  // which frames (docs/vision.md)
  int64_t image_size = 224;
  // Training: JPEG frames at least twice image_size on both sides are decoded at 1/2, 1/4 or 1/8
  // size (PIL's draft, docs/vision.md); false decodes them fully, as the reference's PIL does.
  bool jpeg_draft = true;
  std::array<float, 3> mean = kImageNetMean, std = kImageNetStd;
  // Missing audio files / frame folders fail when the list is opened (naming them), not mid-epoch;
  // true leaves them to the loader (--skip-bad counts and skips them).
  bool allow_missing = false;
};

class AVClipDataset : public Dataset {
 public:
  AVClipDataset(ClipList list, AVClipOptions opts);
  size_t size() const override { return list_.entries.size(); }
  std::string name_of(size_t i) const override { return list_.entries.at(i).name; }
  int64_t label_of(size_t i) const override { return list_.entries.at(i).label; }
  const std::vector<std::string>& class_names() const override { return list_.classes; }
  Sample get(size_t index, std::mt19937_64& rng) const override;
  // Every sample: audio (1, target_frames, bins), visual (3, frames, image_size, image_size).
  std::optional<SampleShapes> fixed_shapes() const override;
  // Training frames and the fbank rows written straight into the slot (no per-sample tensor).
  Sample get_into(size_t index, std::mt19937_64& rng, float* audio, float* visual) const override;

  std::string audio_path(size_t i) const;
  std::string frames_dir(size_t i) const;
  const AVClipOptions& options() const { return opts_; }
  const ClipList& list() const { return list_; }

 private:
  Sample load(size_t index, std::mt19937_64& rng, float* audio_out, float* visual_out, bool into) const;
  ClipList list_;
  AVClipOptions opts_;
};

}  // namespace avtune
