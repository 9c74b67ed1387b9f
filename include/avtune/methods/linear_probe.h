#pragma once
// Linear probing (the paper's Fusion Tuning; docs/fusion_tuning.md): how good an encoder is, measured by a fresh linear classifier
// trained on its pooled features while the encoder stays frozen (no gradients, BatchNorm in eval
// mode so its statistics do not move either).
#include <memory>

#include "avtune/train/trainer.h"

namespace avtune {

// Wraps a uni-modal classifier's adapter: only the parameters under "fc." train; every other
// child module is frozen and kept in eval mode.
class FrozenEncoderAdapter : public ModelAdapter {
 public:
  explicit FrozenEncoderAdapter(std::unique_ptr<ModelAdapter> inner);
  torch::nn::Module& module() override { return inner_->module(); }
  ModelOutput forward(const Batch& batch) override { return inner_->forward(batch); }
  std::vector<NamedParameter> parameters_to_train() override;
  void set_training(bool on) override;
  std::string kind() const override { return inner_->kind() + "-probe"; }

 private:
  std::unique_ptr<ModelAdapter> inner_;
};

}  // namespace avtune
