#pragma once
// Measures the audio-visual model's training step (forward, loss, backward, SGD step) on synthetic
// inputs of given shapes: the model-only part of the paper-shape benchmark.
#include <c10/core/Device.h>

#include <cstdint>
#include <string>

namespace avtune {

struct StepBenchConfig {
  int depth = 18;
  double width = 1.0;
  int64_t batch = 4;
  int64_t audio_frames = 1024, mel_bins = 128;  // audio (B, 1, frames, mel)
  int64_t clip_frames = 3, image_size = 224;    // visual (B, 3, T, H, W)
  int64_t classes = 31;
  int warmup = 1, steps = 5;
  uint64_t seed = 0;
  bool channels_last = true;  // avtune's default layout on CPU; false = NCHW as the PyTorch reference
  std::string precision = "fp32";  // fp32|bf16|fp16: autocast of forward and loss (train/precision.h)
};

struct StepBenchResult {
  double seconds_per_step = 0;   // median over steps
  double samples_per_second = 0;
  double first_loss = 0, last_loss = 0;
};

StepBenchResult bench_av_train_step(const StepBenchConfig& cfg, const c10::Device& device);

// End to end from files: the audio-visual training loop on the train split of a Kinetics-Sounds
// layout data set (wav -> fbank, JPEG -> RandomResizedCrop/flip, loader threads, collate, step).
// Times `steps` batches after `warmup` ones, wall clock including every wait for data.
struct EndToEndBenchConfig {
  std::string root;  // ks layout with train_1fps_path.txt
  int depth = 18;
  double width = 1.0;
  int64_t batch = 4, audio_frames = 1024, mel_bins = 128, clip_frames = 3, image_size = 224;
  int workers = 2;
  int warmup = 2, steps = 10;
  uint64_t seed = 0;
  bool channels_last = true;
  std::string precision = "fp32";
};
StepBenchResult bench_av_train_end_to_end(const EndToEndBenchConfig& cfg, const c10::Device& device);

}  // namespace avtune
