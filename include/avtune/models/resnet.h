#pragma once
// ResNet-18/34 encoders (BasicBlock) with torchvision's module and parameter names, no fc,
// so `model.state_dict()` files from torchvision and the reference code load by name.
#include <torch/torch.h>

#include <string>
#include <vector>

namespace avtune {

struct ResNetConfig {
  int depth = 18;          // 18 or 34
  int in_channels = 3;     // 1 for audio spectrograms, 3 for images
  double width = 1.0;      // multiplier on 64/128/256/512; 1.0 = the paper
  std::vector<int> blocks() const;   // [2,2,2,2] or [3,4,6,3]; throws for other depths
  int stage_width(int stage) const;  // channels of stage 0..3
  std::string describe() const;
};

class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t inplanes, int64_t planes, int64_t stride);
  torch::Tensor forward(torch::Tensor x);

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};  // "downsample.0" conv, "downsample.1" bn, or absent
};
TORCH_MODULE(BasicBlock);

class ResNetEncoderImpl : public torch::nn::Module {
 public:
  explicit ResNetEncoderImpl(const ResNetConfig& cfg);
  // (B, in_channels, H, W) -> feature map (B, out_channels, h, w). Checks the input shape.
  torch::Tensor forward(torch::Tensor x);
  int64_t out_channels() const { return out_channels_; }
  const ResNetConfig& config() const { return cfg_; }

  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::MaxPool2d maxpool{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};

 private:
  ResNetConfig cfg_;
  int64_t out_channels_ = 0;
};
TORCH_MODULE(ResNetEncoder);

}  // namespace avtune
