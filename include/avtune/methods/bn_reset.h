#pragma once
// The paper's BN re-initialisation baselines (besides ABRi).
#include <torch/torch.h>

namespace avtune {

// Every BatchNorm2d of `m` (ABRi twins excluded): gamma 1, beta 0, running mean 0, running var 1.
// Returns the number of BN layers reset.
int reset_all_bn(torch::nn::Module& m);

// Only abnormal channels, as the reference: |gamma| < threshold -> gamma 1, beta 0 (statistics kept).
// Returns the number of channels reset.
int64_t reset_abnormal_bn(torch::nn::Module& m, double threshold = 1e-6);

}  // namespace avtune
