#include "avtune/data/av_clip_dataset.h"

#include <algorithm>
#include <filesystem>

#include "avtune/audio/fbank_cache.h"
#include "avtune/util/error.h"
#include "avtune/vision/frame_sampling.h"
#include "avtune/vision/fused_transforms.h"
#include "avtune/vision/image_cache.h"
#include "avtune/vision/image_io.h"
#include "avtune/vision/jpeg_region.h"

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

std::optional<SampleShapes> AVClipDataset::fixed_shapes() const {
  // Sizes get() refuses: left to get(), whose errors name them.
  if (opts_.audio.target_frames < 1 || opts_.image_size < 1) return std::nullopt;
  SampleShapes sh;
  if (opts_.modality != Modality::Visual)
    sh.audio = {1, opts_.audio.target_frames, opts_.audio.fbank.num_mel_bins + (opts_.audio.fbank.use_energy ? 1 : 0)};
  if (opts_.modality != Modality::Audio) sh.visual = {3, opts_.frames, opts_.image_size, opts_.image_size};
  return sh;
}

Sample AVClipDataset::get(size_t index, std::mt19937_64& rng) const { return load(index, rng, nullptr, nullptr, false); }

Sample AVClipDataset::get_into(size_t index, std::mt19937_64& rng, float* audio, float* visual) const {
  if ((opts_.modality != Modality::Visual) != (audio != nullptr) || (opts_.modality != Modality::Audio) != (visual != nullptr))
    fail("av-dataset", "a batch slot for each of the data set's modalities (" + to_string(opts_.modality) + ")",
         std::string(audio ? "audio" : "no audio") + " and " + (visual ? "visual" : "no visual"));
  if (!fixed_shapes()) fail("av-dataset", "sizes with fixed sample shapes for a batch slot (target_frames, image_size >= 1)",
                            std::to_string(opts_.audio.target_frames) + ", " + std::to_string(opts_.image_size));
  return load(index, rng, audio, visual, true);
}

Sample AVClipDataset::load(size_t index, std::mt19937_64& rng, float* audio_out, float* visual_out, bool into) const {
  Sample s;
  s.name = name_of(index);
  s.label = label_of(index);
  s.index = index;
  // One torch generator per sample, seeded from the loader's per-sample stream.
  at::Generator gen = make_generator(rng());
  if (opts_.modality != Modality::Visual) {
    const bool augment = opts_.train && (opts_.spec_freq_mask > 0 || opts_.spec_time_mask > 0);
    if (into && !augment) {
      cached_fbank_input_into(audio_path(index), opts_.audio, audio_out);  // rows written into the slot
    } else {
      auto a = cached_fbank_input(audio_path(index), opts_.audio);  // (1, T, F), shared: not modified here
      if (augment) a = spec_augment(a, opts_.spec_freq_mask, opts_.spec_time_mask, gen);
      if (into) copy_to_slot(a, fixed_shapes()->audio, audio_out, "audio", s.name);
      else s.audio = a;
    }
  }
  if (opts_.modality != Modality::Audio) {
    const auto dir = frames_dir(index);
    const auto files = list_clip_frames(dir);
    const auto picks = sample_frame_indices(static_cast<int>(files.size()), opts_.frames,
                                            opts_.train ? FrameSamplingMode::Train : FrameSamplingMode::Eval, &rng, dir,
                                            opts_.frame_sampling);
    if (opts_.train) {
      // Decoded rows cropped, resized, flipped and normalised straight into the clip tensor (or the
      // batch slot). A frame the image cache holds, or will keep, is decoded whole; otherwise only
      // the crop's region is decoded (the same pixels: jpeg_region.h).
      TrainTransformOptions t;
      t.height = t.width = opts_.image_size;
      t.mean = opts_.mean;
      t.std = opts_.std;
      ImageDecodeOptions decode;
      if (opts_.jpeg_draft) decode.min_height = decode.min_width = opts_.image_size;
      const int64_t plane = opts_.image_size * opts_.image_size, T = static_cast<int64_t>(picks.size());
      float* base = visual_out;
      if (!into) {
        s.visual = torch::empty({3, T, opts_.image_size, opts_.image_size});
        base = s.visual.data_ptr<float>();
      }
      for (int64_t j = 0; j < T; ++j) {
        const auto& file = files[static_cast<size_t>(picks[static_cast<size_t>(j)])];
        float* out = base + j * plane;
        auto img = find_cached_image_hwc(file, decode);
        if (!img.defined() && image_cache_keeps_more()) img = cached_read_image_hwc(file, decode);
        if (img.defined()) train_transform_into(img, gen, t, out, T * plane);
        else train_transform_file_into(file, decode, gen, t, out, T * plane);
      }
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
    if (into) {
      copy_to_slot(s.visual, fixed_shapes()->visual, visual_out, "visual", s.name);
      s.visual = torch::Tensor();
    }
  }
  return s;
}

}  // namespace avtune
