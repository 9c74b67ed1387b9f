#pragma once
// Fusion heads of the audio-visual classifier, with the reference family's module names so their
// checkpoints load (fusion_module.fc_out for concat; fc_x/fc_y for sum; fc/fc_out for FiLM;
// fc_x/fc_y/fc_out for gated).
#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>

namespace avtune {

enum class FusionKind { Concat, Sum, FiLM, Gated };
FusionKind parse_fusion_kind(const std::string& s);  // concat|sum|film|gated
std::string to_string(FusionKind k);

class FusionHeadImpl : public torch::nn::Module {
 public:
  // Pooled audio (B, Da) and visual (B, Dv) features -> logits (B, classes).
  virtual torch::Tensor forward(const torch::Tensor& a, const torch::Tensor& v) = 0;
  // Each modality's share of the logits where the head is additive (concat, sum): evaluation
  // metrics of how much each encoder alone would predict. Empty for FiLM and gated heads.
  virtual std::map<std::string, torch::Tensor> parts(const torch::Tensor& a, const torch::Tensor& v) { return {}; }
  virtual FusionKind kind() const = 0;
};

// The reference: Linear(Da + Dv, classes) on the concatenation.
class ConcatFusionImpl : public FusionHeadImpl {
 public:
  ConcatFusionImpl(int64_t audio_dim, int64_t visual_dim, int64_t num_classes);
  torch::Tensor forward(const torch::Tensor& a, const torch::Tensor& v) override;
  std::map<std::string, torch::Tensor> parts(const torch::Tensor& a, const torch::Tensor& v) override;
  FusionKind kind() const override { return FusionKind::Concat; }
  torch::nn::Linear fc_out{nullptr};
};
TORCH_MODULE(ConcatFusion);

// fc_x(a) + fc_y(v).
class SumFusionImpl : public FusionHeadImpl {
 public:
  SumFusionImpl(int64_t audio_dim, int64_t visual_dim, int64_t num_classes);
  torch::Tensor forward(const torch::Tensor& a, const torch::Tensor& v) override;
  std::map<std::string, torch::Tensor> parts(const torch::Tensor& a, const torch::Tensor& v) override;
  FusionKind kind() const override { return FusionKind::Sum; }
  torch::nn::Linear fc_x{nullptr}, fc_y{nullptr};
};

// FiLM: audio modulates visual, fc_out(γ(a) ⊙ v + β(a)) with (γ, β) = split(fc(a)).
class FiLMFusionImpl : public FusionHeadImpl {
 public:
  FiLMFusionImpl(int64_t audio_dim, int64_t visual_dim, int64_t num_classes);
  torch::Tensor forward(const torch::Tensor& a, const torch::Tensor& v) override;
  FusionKind kind() const override { return FusionKind::FiLM; }
  torch::nn::Linear fc{nullptr}, fc_out{nullptr};

 private:
  int64_t dim_;
};

// Gated: fc_out(σ(fc_x(a)) ⊙ fc_y(v)), the audio branch gating the visual one.
class GatedFusionImpl : public FusionHeadImpl {
 public:
  GatedFusionImpl(int64_t audio_dim, int64_t visual_dim, int64_t num_classes);
  torch::Tensor forward(const torch::Tensor& a, const torch::Tensor& v) override;
  FusionKind kind() const override { return FusionKind::Gated; }
  torch::nn::Linear fc_x{nullptr}, fc_y{nullptr}, fc_out{nullptr};
};

std::shared_ptr<FusionHeadImpl> make_fusion_head(FusionKind kind, int64_t audio_dim, int64_t visual_dim, int64_t num_classes);

}  // namespace avtune
