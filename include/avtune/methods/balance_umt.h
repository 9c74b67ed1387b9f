#pragma once
// UMT, uni-modal teachers (Du, Teng, Li et al., "On Uni-Modal Feature Learning in Supervised
// Multi-Modal Learning", ICML 2023; docs/balancing.md): each encoder of the audio-visual model is
// pulled toward a frozen encoder of its modality trained alone (Fusion Tuning's stage 1, a
// `train --modality audio|visual` run): loss = CE(fused logits) + weight * sum_m MSE(f_m(x_m), T_m(x_m))
// on the pooled features. The closest relative of Fusion Tuning's "train each encoder alone first".
#include <torch/torch.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "avtune/models/classifiers.h"
#include "avtune/train/step_hook.h"
#include "avtune/train/trainer.h"

namespace avtune {

// Mean over batch and feature elements of (student - teacher)^2 (PyTorch's MSELoss default), in fp32;
// the gradient flows into `student` only.
torch::Tensor umt_distillation(const torch::Tensor& student, const torch::Tensor& teacher);

struct UmtSettings {
  std::string audio_teacher, visual_teacher;  // weight files; "" leaves that encoder undistilled
  double weight = 1.0;                        // lambda on the summed distillation terms, finite, >= 0
};

// A frozen teacher: a classifier of `student`'s modality whose encoder is built like `student`
// (depth, width, input channels, ABRi) and loaded from `path`, from its "audio_net."/"visual_net."
// keys (a uni-modal run's checkpoint, fust stage 1's) or a bare encoder's. Every encoder key must be
// there with the student's shape (no cross-modal conv1 adaptation); otherwise throws naming `flag`
// and the file. Its fc is unused. Eval mode, no parameter requires grad.
// The part of that check that needs no student: `path` exists and holds an encoder of `modality`
// (audio|visual). Run before the data so that a wrong teacher fails before any expensive work.
void check_umt_teacher_file(const std::string& path, const std::string& modality, const std::string& flag);
AudioClassifier load_umt_audio_teacher(const std::string& path, const ResNetEncoder& student, const std::string& flag);
VisualClassifier load_umt_visual_teacher(const std::string& path, const ResNetEncoder& student, const std::string& flag);

// The run's audio-visual adapter with UMT's distillation term in its training forward
// (ModelOutput::aux_loss, which the engine adds to the cross-entropy); evaluation is the plain
// model. The teachers are no part of module(): not trained, not checkpointed, always in eval mode,
// moved to the batch's device on first use. It is also the run's step hook (per-epoch statistics).
class UmtAdapter : public ModelAdapter, public StepHook {
 public:
  UmtAdapter(std::unique_ptr<ModelAdapter> inner, AVClassifier model, const UmtSettings& s);
  torch::nn::Module& module() override { return inner_->module(); }
  ModelOutput forward(const Batch& batch) override;
  std::vector<NamedParameter> parameters_to_train() override { return inner_->parameters_to_train(); }
  void set_training(bool on) override;
  std::string kind() const override { return "av"; }
  void begin_epoch(int64_t epoch) override;
  // {"method": "umt", "weight", "distill_audio", "distill_visual" (epoch means of the unweighted
  //  MSE; null for an undistilled encoder), "steps", "train_audio_acc", "train_visual_acc" (additive
  //  heads)}.
  nlohmann::json end_epoch() override;

  const AudioClassifier& audio_teacher() const { return audio_teacher_; }     // null: not distilled
  const VisualClassifier& visual_teacher() const { return visual_teacher_; }  // null: not distilled

 private:
  std::unique_ptr<ModelAdapter> inner_;
  AVClassifier model_;
  UmtSettings s_;
  AudioClassifier audio_teacher_{nullptr};
  VisualClassifier visual_teacher_{nullptr};
  int64_t steps_ = 0, seen_ = 0, correct_a_ = 0, correct_v_ = 0;
  double sum_da_ = 0, sum_dv_ = 0;
  bool parts_ = false;
};

}  // namespace avtune
