#pragma once
// Measures the audio-visual model's training step (forward, loss, backward, SGD step) on synthetic
// inputs of given shapes: the model-only part of the paper-shape benchmark.
#include <c10/core/Device.h>

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
};

struct StepBenchResult {
  double seconds_per_step = 0;   // median over steps
  double samples_per_second = 0;
  double first_loss = 0, last_loss = 0;
};

StepBenchResult bench_av_train_step(const StepBenchConfig& cfg, const c10::Device& device);

}  // namespace avtune
