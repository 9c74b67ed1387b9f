#pragma once
// Memory layout of a whole model's ResNet encoders (see ResNetEncoderImpl::set_channels_last).
#include <torch/torch.h>

namespace avtune {

// Switches every ResNet encoder inside `model` (itself included) to channels-last or back; returns how many.
int set_channels_last(torch::nn::Module& model, bool on);

}  // namespace avtune
