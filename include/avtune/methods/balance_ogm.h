#pragma once
// OGM-GE, on-the-fly gradient modulation with generalisation enhancement (Peng et al., CVPR 2022;
// docs/balancing.md): per step, the dominant modality's encoder gradients are scaled down by how
// much its half of the fused classifier out-scores the other's, and (GE) Gaussian noise with the
// gradient's own standard deviation is added.
#include <torch/torch.h>

#include <cstdint>
#include <nlohmann/json.hpp>

#include "avtune/models/classifiers.h"
#include "avtune/train/step_hook.h"

namespace avtune {

struct OgmSettings {
  double alpha = 0.1;          // the reference's README default (0.1 VGGSound, 0.8 CREMA-D)
  int64_t start = 0, end = 50; // modulated epochs, 0-based, both inclusive (the reference's defaults)
  bool noise = true;           // GE
  bool centered = false;       // tanh(alpha (rho - 1)) instead of the published tanh(alpha rho)
  uint64_t seed = 0;           // GE's noise on CPU: a generator seeded by (seed, step), so runs side
                               // by side and resumed runs draw the same noise
};

// Coefficients of one step from the summed true-class softmax scores of each modality's part.
struct OgmCoefficients {
  double ratio = 1;  // rho = score_visual / score_audio
  double audio = 1, visual = 1;
};

// The paper's Eq. 10 as the released code computes it: rho_v = s_v / s_a; if rho_v > 1 the visual
// coefficient is 1 - tanh(alpha * rho_v), else the audio one is 1 - tanh(alpha / rho_v) (so at a tie
// audio is the one damped); clipped at 0. Two zero scores modulate nothing.
OgmCoefficients ogm_coefficients(double score_audio, double score_visual, double alpha, bool centered = false);

// Sum over the batch of each sample's softmax probability of its label: logits (B, C), labels (B).
double true_class_score(const torch::Tensor& logits, const torch::Tensor& labels);

// One parameter's gradient, in place: grad * coeff, plus with `noise` N(0, std(grad) + 1e-8) per
// element, std being the unbiased std of the gradient before scaling (the released code's order).
// `gen` (may be undefined: the device's default generator) draws the noise.
void ogm_modulate_gradient(torch::Tensor& grad, double coeff, bool noise, const at::Generator& gen = {});

// A CPU generator for one step's draws of a balancing method: seeded by (seed, step) alone.
at::Generator balance_step_generator(uint64_t seed, int64_t step);

// The step hook: after backward, the 4-D gradients (conv weights, as the released code selects
// them) of audio_net are modulated with the audio coefficient and those of visual_net with the
// visual one, in the epochs [start, end]. Needs an additive fusion head (concat or sum).
class OgmHook : public StepHook {
 public:
  OgmHook(AVClassifier model, OgmSettings s);
  void begin_epoch(int64_t epoch) override;
  void after_backward(const StepView& step) override;
  // {"method", "alpha", "modulated", "coeff_audio", "coeff_visual" (epoch means), "ratio" (mean
  // rho), "audio_dominant_steps", "steps", "train_audio_acc", "train_visual_acc"}.
  nlohmann::json end_epoch() override;

 private:
  AVClassifier model_;
  OgmSettings s_;
  int64_t epoch_ = 0, steps_ = 0, audio_dominant_ = 0, seen_ = 0, correct_a_ = 0, correct_v_ = 0;
  double sum_ca_ = 0, sum_cv_ = 0, sum_ratio_ = 0;
};

}  // namespace avtune
