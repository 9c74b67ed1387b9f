#pragma once
// Uni-modal and audio-visual classifiers with the reference code's names
// (audio_net / visual_net / fc / fusion_module.fc_out) so its checkpoints load.
#include <torch/torch.h>

#include "avtune/models/fusion.h"
#include "avtune/models/resnet.h"

namespace avtune {

// Memory order of a clip batch. avtune's loaders produce BCTHW; BTCHW is accepted only when
// stated, because with T == C == 3 a silent mix-up is invisible to shape checks.
enum class ClipLayout { BCTHW, BTCHW };

// (B, C, T, H, W) or (B, T, C, H, W) -> (B*T, C, H, W), checking C against `channels`.
torch::Tensor clips_to_frames(const torch::Tensor& clips, ClipLayout layout, int64_t channels, int64_t* T_out);

class AudioClassifierImpl : public torch::nn::Module {
 public:
  AudioClassifierImpl(const ResNetConfig& enc, int64_t num_classes);
  torch::Tensor features(const torch::Tensor& audio);  // (B,1,T,F) -> (B, D), global average pool
  torch::Tensor forward(const torch::Tensor& audio);   // logits
  ResNetEncoder audio_net{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(AudioClassifier);

class VisualClassifierImpl : public torch::nn::Module {
 public:
  VisualClassifierImpl(const ResNetConfig& enc, int64_t num_classes);
  // Clips: encoder on every frame, 3-D average pool over (T, h, w). Images (B,C,H,W) are T = 1.
  torch::Tensor features(const torch::Tensor& visual, ClipLayout layout = ClipLayout::BCTHW);
  torch::Tensor forward(const torch::Tensor& visual, ClipLayout layout = ClipLayout::BCTHW);
  ResNetEncoder visual_net{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(VisualClassifier);

struct AVOutput {
  torch::Tensor audio_features;   // (B, Da)
  torch::Tensor visual_features;  // (B, Dv)
  torch::Tensor logits;           // (B, classes)
};

class AVClassifierImpl : public torch::nn::Module {
 public:
  AVClassifierImpl(const ResNetConfig& audio_enc, const ResNetConfig& visual_enc, int64_t num_classes,
                   FusionKind fusion = FusionKind::Concat);
  AVOutput forward(const torch::Tensor& audio, const torch::Tensor& visual, ClipLayout layout = ClipLayout::BCTHW);
  ResNetEncoder audio_net{nullptr}, visual_net{nullptr};
  std::shared_ptr<FusionHeadImpl> fusion_module;
};
TORCH_MODULE(AVClassifier);

}  // namespace avtune
