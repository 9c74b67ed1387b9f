#pragma once
// One loaded sample and a collated batch, in avtune's explicit layouts:
// audio (1, T, F) -> batch (B, 1, T, F); visual (3, T, H, W) -> batch (B, 3, T, H, W).
#include <torch/torch.h>

#include <string>
#include <vector>

namespace avtune {

struct Sample {
  std::string name;     // clip name; Fusion Tuning keys per-sample confidences on it
  int64_t label = -1;
  size_t index = 0;     // position in its data set
  torch::Tensor audio;  // (1, T, F) float32, or undefined
  torch::Tensor visual; // (3, T, H, W) float32, or undefined (images: T = 1)
};

struct Batch {
  std::vector<std::string> names;
  std::vector<size_t> indices;
  torch::Tensor labels;  // (B) int64
  torch::Tensor audio;   // (B, 1, T, F) or undefined
  torch::Tensor visual;  // (B, 3, T, H, W) or undefined
  int64_t size() const { return static_cast<int64_t>(names.size()); }
};

// Per-sample tensor shapes without the batch dimension, e.g. audio {1, T, F}; empty = absent.
struct SampleShapes {
  std::vector<int64_t> audio, visual;
};

// Stacks samples; every sample must carry the same modalities with the same shapes (errors name the sample).
Batch collate(std::vector<Sample>& samples);

}  // namespace avtune
