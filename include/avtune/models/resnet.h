#pragma once
// ResNet-18/34 encoders (BasicBlock) with torchvision's module and parameter names, no fc,
// so `model.state_dict()` files from torchvision and the reference code load by name.
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

namespace avtune {

// ABRi (Adaptive Batchnorm Re-initialization): every BN gets a freshly initialised twin and the output
// is alpha * BN(x) + (1 - alpha) * BN_twin(x), alpha learnable; one alpha per BN layer ("batch", the
// reference's name) or per channel ("channel"). Names follow the reference: bn1_addition/fusion_weight
// (stem), bnK_addition/fusion_weightK (blocks), downsample.bn_addition/downsample.fusion_weight.
enum class AbriMode { None, Batch, Channel };
AbriMode parse_abri_mode(const std::string& s);  // none|batch|channel
struct AbriConfig {
  AbriMode mode = AbriMode::None;
  double alpha = 0.5;  // initial mixing weight of the original (pre-trained) BN
};

// Sees every BN layer's output (before any ReLU or residual) during a forward pass, by its state_dict
// name ("bn1", "layer1.0.bn2", "layer2.0.downsample.1"); used by the activation-based diagnosis.
using BnObserver = std::function<void(const std::string& bn_name, const torch::Tensor& bn_out)>;

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
  void enable_abri(const AbriConfig& cfg);
  void set_observer(const BnObserver* obs, std::string prefix);

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};  // "downsample.0" conv, "downsample.1" bn, or absent
  torch::nn::Conv2d ds_conv{nullptr};          // the same modules as downsample[0] and [1], typed
  torch::nn::BatchNorm2d ds_bn{nullptr};
  // ABRi twins and mixing weights (null / undefined unless enabled).
  torch::nn::BatchNorm2d bn1_addition{nullptr}, bn2_addition{nullptr}, ds_addition{nullptr};
  torch::Tensor fusion_weight1, fusion_weight2, ds_fusion_weight;

 private:
  const BnObserver* observer_ = nullptr;
  std::string prefix_;
};
TORCH_MODULE(BasicBlock);

class ResNetEncoderImpl : public torch::nn::Module {
 public:
  explicit ResNetEncoderImpl(const ResNetConfig& cfg);
  // (B, in_channels, H, W) -> feature map (B, out_channels, h, w). Checks the input shape.
  torch::Tensor forward(torch::Tensor x);
  int64_t out_channels() const { return out_channels_; }
  const ResNetConfig& config() const { return cfg_; }

  // Adds ABRi twins to every BN (on the module's current device); the originals keep their weights.
  void enable_abri(const AbriConfig& cfg);
  AbriMode abri_mode() const { return abri_.mode; }
  // Every BN output during forward() goes to `obs` until cleared with nullptr (not thread-safe).
  void set_observer(const BnObserver* obs);
  // Channels-last (NHWC) storage of the 4-D weights, and forward() makes its input NHWC. oneDNN then convolves
  // without reordering activations to and from its blocked layout; BN, ReLU, add and pooling keep the layout.
  // Results differ from NCHW only by summation order. Parameter names and shapes are unchanged.
  void set_channels_last(bool on);
  bool channels_last() const { return channels_last_; }

  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::MaxPool2d maxpool{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  torch::nn::BatchNorm2d bn1_addition{nullptr};
  torch::Tensor fusion_weight;

 private:
  ResNetConfig cfg_;
  AbriConfig abri_;
  const BnObserver* observer_ = nullptr;
  int64_t out_channels_ = 0;
  bool channels_last_ = false;
};
TORCH_MODULE(ResNetEncoder);

}  // namespace avtune
