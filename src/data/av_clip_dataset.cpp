#include "avtune/data/av_clip_dataset.h"

#include <filesystem>

#include "avtune/audio/fbank_cache.h"
#include "avtune/util/error.h"
#include "avtune/vision/frame_sampling.h"
#include "avtune/vision/fused_transforms.h"
#include "avtune/vision/image_cache.h"
#include "avtune/vision/image_io.h"

namespace avtune {

Modality parse_modality(const std::string& s) {
  if (s == "audio") return Modality::Audio;
  if (s == "visual") return Modality::Visual;
  if (s == "av") return Modality::AV;
  fail("modality", "audio|visual|av", "'" + s + "'");
}

std::string to_string(Modality m) {
  switch (m) {
    case Modality::Audio: return "audio";
    case Modality::Visual: return "visual";
    case Modality::AV: return "av";
  }
  return "?";
}

AVClipDataset::AVClipDataset(ClipList list, AVClipOptions opts) : list_(std::move(list)), opts_(std::move(opts)) {
  const bool need_audio = opts_.modality != Modality::Visual, need_visual = opts_.modality != Modality::Audio;
  if (need_audio && !std::filesystem::is_directory(opts_.audio_dir))
    fail("av-dataset", "an audio folder", "'" + opts_.audio_dir + "' is not a directory", {list_.source});
  if (need_visual && !std::filesystem::is_directory(opts_.visual_dir))
    fail("av-dataset", "a frames folder", "'" + opts_.visual_dir + "' is not a directory", {list_.source});
  if (opts_.frames < 1) fail("av-dataset", "frames >= 1", std::to_string(opts_.frames));
  if (opts_.allow_missing) return;
  // One stat per file: cheap next to an epoch, and a broken list fails before training starts.
  size_t missing = 0;
  std::string first;
  for (size_t i = 0; i < list_.entries.size(); ++i) {
    std::string what;
    if (need_audio && !std::filesystem::is_regular_file(audio_path(i))) what = audio_path(i);
    else if (need_visual && !std::filesystem::is_directory(frames_dir(i))) what = frames_dir(i);
    if (what.empty()) continue;
    if (missing++ < 3) first += (first.empty() ? "" : ", ") + what + " (line " + std::to_string(list_.entries[i].line) + ")";
  }
  if (missing)
    fail("av-dataset", "every listed clip on disk (or --skip-bad)",
         std::to_string(missing) + " of " + std::to_string(list_.entries.size()) + " missing: " + first +
             (missing > 3 ? ", ..." : ""),
         {list_.source});
}

std::string AVClipDataset::audio_path(size_t i) const {
  return (std::filesystem::path(opts_.audio_dir) / (name_of(i) + opts_.audio_ext)).string();
}

std::string AVClipDataset::frames_dir(size_t i) const {
  return (std::filesystem::path(opts_.visual_dir) / name_of(i)).string();
}

Sample AVClipDataset::get(size_t index, std::mt19937_64& rng) const {
  Sample s;
  s.name = name_of(index);
  s.label = label_of(index);
  s.index = index;
  // One torch generator per sample, seeded from the loader's per-sample stream.
  at::Generator gen = make_generator(rng());
  if (opts_.modality != Modality::Visual) {
    auto a = cached_fbank_input(audio_path(index), opts_.audio);  // (1, T, F), shared: not modified here
    if (opts_.train && (opts_.spec_freq_mask > 0 || opts_.spec_time_mask > 0))
      a = spec_augment(a, opts_.spec_freq_mask, opts_.spec_time_mask, gen);
    s.audio = a;
  }
  if (opts_.modality != Modality::Audio) {
    const auto dir = frames_dir(index);
    const auto files = list_clip_frames(dir);
    const auto picks = sample_frame_indices(static_cast<int>(files.size()), opts_.frames,
                                            opts_.train ? FrameSamplingMode::Train : FrameSamplingMode::Eval, &rng, dir,
                                            opts_.frame_sampling);
    if (opts_.train) {
      // Decoded rows cropped, resized, flipped and normalised straight into the clip tensor.
      TrainTransformOptions t;
      t.height = t.width = opts_.image_size;
      t.mean = opts_.mean;
      t.std = opts_.std;
      ImageDecodeOptions decode;
      if (opts_.jpeg_draft) decode.min_height = decode.min_width = opts_.image_size;
      const int64_t plane = opts_.image_size * opts_.image_size, T = static_cast<int64_t>(picks.size());
      s.visual = torch::empty({3, T, opts_.image_size, opts_.image_size});
      for (int64_t j = 0; j < T; ++j)
        train_transform_into(cached_read_image_hwc(files[static_cast<size_t>(picks[static_cast<size_t>(j)])], decode),
                             gen, t, s.visual.data_ptr<float>() + j * plane, T * plane);
      return s;
    }
    EvalTransformOptions t;
    t.height = t.width = opts_.image_size;
    t.mean = opts_.mean;
    t.std = opts_.std;
    std::vector<torch::Tensor> frames;
    for (int k : picks)  // the cached image is shared: eval_transform returns a new tensor
      frames.push_back(eval_transform(cached_read_image(files[static_cast<size_t>(k)]), t));
    s.visual = torch::stack(frames, 1);  // (3, T, H, W): channels first, explicitly
  }
  return s;
}

}  // namespace avtune
