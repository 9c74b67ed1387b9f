#pragma once
// The tiny audio-visual batch and encoder shapes both balancing methods' tests train on.
#include <torch/torch.h>

#include <string>

#include "avtune/models/resnet.h"
#include "avtune/train/trainer.h"

namespace avtune::test {

inline const ResNetConfig kTinyAudio{18, 1, 0.0625}, kTinyVisual{18, 3, 0.0625};

inline Batch tiny_balance_batch(int64_t B = 8) {
  Batch b;
  for (int64_t i = 0; i < B; ++i) b.names.push_back("s" + std::to_string(i)), b.indices.push_back(static_cast<size_t>(i));
  b.labels = torch::arange(B) % 4;
  b.audio = torch::randn({B, 1, 32, 16});
  b.visual = torch::randn({B, 3, 2, 32, 32});
  return b;
}

}  // namespace avtune::test
