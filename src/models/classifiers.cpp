#include "avtune/models/classifiers.h"

#include "avtune/util/error.h"
#include "avtune/util/tensor_text.h"

namespace avtune {

torch::Tensor clips_to_frames(const torch::Tensor& clips, ClipLayout layout, int64_t channels, int64_t* T_out) {
  if (clips.dim() == 4) {  // a batch of still images
    if (clips.size(1) != channels)
      fail("visual", "images (B, " + std::to_string(channels) + ", H, W)", shape_str(clips));
    *T_out = 1;
    return clips;
  }
  const bool bcthw = layout == ClipLayout::BCTHW;
  if (clips.dim() != 5 || clips.size(bcthw ? 1 : 2) != channels)
    fail("visual",
         std::string("clips ") + (bcthw ? "(B, C=" : "(B, T, C=") + std::to_string(channels) +
             (bcthw ? ", T, H, W)" : ", H, W)"),
         shape_str(clips));
  auto x = bcthw ? clips.permute({0, 2, 1, 3, 4}) : clips;
  *T_out = x.size(1);
  return x.reshape({x.size(0) * x.size(1), x.size(2), x.size(3), x.size(4)});
}

namespace {
torch::Tensor pool_frames(const torch::Tensor& fmap, int64_t B, int64_t T) {
  // (B*T, C, h, w) -> (B, C, T, h, w) -> mean over T, h, w: the reference's adaptive_avg_pool3d(·, 1).
  auto v = fmap.view({B, T, fmap.size(1), fmap.size(2), fmap.size(3)}).permute({0, 2, 1, 3, 4});
  return torch::adaptive_avg_pool3d(v, {1, 1, 1}).flatten(1);
}
}  // namespace

AudioClassifierImpl::AudioClassifierImpl(const ResNetConfig& enc, int64_t num_classes) {
  audio_net = register_module("audio_net", ResNetEncoder(enc));
  fc = register_module("fc", torch::nn::Linear(audio_net->out_channels(), num_classes));
}

torch::Tensor AudioClassifierImpl::features(const torch::Tensor& audio) {
  return torch::adaptive_avg_pool2d(audio_net(audio), {1, 1}).flatten(1);
}

torch::Tensor AudioClassifierImpl::forward(const torch::Tensor& audio) { return fc(features(audio)); }

VisualClassifierImpl::VisualClassifierImpl(const ResNetConfig& enc, int64_t num_classes) {
  visual_net = register_module("visual_net", ResNetEncoder(enc));
  fc = register_module("fc", torch::nn::Linear(visual_net->out_channels(), num_classes));
}

torch::Tensor VisualClassifierImpl::features(const torch::Tensor& visual, ClipLayout layout) {
  int64_t T = 1;
  auto frames = clips_to_frames(visual, layout, visual_net->config().in_channels, &T);
  return pool_frames(visual_net(frames), frames.size(0) / T, T);
}

torch::Tensor VisualClassifierImpl::forward(const torch::Tensor& visual, ClipLayout layout) {
  return fc(features(visual, layout));
}

AVClassifierImpl::AVClassifierImpl(const ResNetConfig& audio_enc, const ResNetConfig& visual_enc,
                                   int64_t num_classes, FusionKind fusion) {
  audio_net = register_module("audio_net", ResNetEncoder(audio_enc));
  visual_net = register_module("visual_net", ResNetEncoder(visual_enc));
  fusion_module = register_module(
      "fusion_module", make_fusion_head(fusion, audio_net->out_channels(), visual_net->out_channels(), num_classes));
}

AVOutput AVClassifierImpl::forward(const torch::Tensor& audio, const torch::Tensor& visual, ClipLayout layout) {
  int64_t T = 1;
  auto frames = clips_to_frames(visual, layout, visual_net->config().in_channels, &T);
  const int64_t B = frames.size(0) / T;
  if (audio.dim() != 4 || audio.size(0) != B)
    fail("av-model", "audio (B=" + std::to_string(B) + ", 1, T, F) matching the clip batch", shape_str(audio));
  AVOutput out;
  out.audio_features = torch::adaptive_avg_pool2d(audio_net(audio), {1, 1}).flatten(1);
  out.visual_features = pool_frames(visual_net(frames), B, T);
  out.logits = fusion_module->forward(out.audio_features, out.visual_features);
  return out;
}

}  // namespace avtune
