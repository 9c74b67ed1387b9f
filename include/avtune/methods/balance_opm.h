#pragma once
// OPM, on-the-fly prediction modulation (Wei, Li, Hu et al., "On-the-fly Modulation for Balanced
// Multimodal Learning", TPAMI 2024; docs/balancing.md): per step, the dominant modality's pooled
// features are dropped for a random part of the batch, with a probability that grows with how
// much that modality's half of the fused classifier out-scores the other's; the fused logits are
// computed from what is left. The closest relative of Fusion Tuning's input masking.
#include <torch/torch.h>

#include <cstdint>
#include <nlohmann/json.hpp>

#include "avtune/models/classifiers.h"
#include "avtune/train/step_hook.h"
#include "avtune/train/trainer.h"

namespace avtune {

struct OpmSettings {
  double alpha = 0.1;          // q = q_base (1 + alpha r)
  double q_base = 0.5;         // base drop probability of the dominant modality
  double p_exe = 0.7;          // probability that a step drops at all (BalanceBenchmark's default)
  int64_t start = 0, end = 50; // modulated epochs, 0-based, both inclusive
  uint64_t seed = 0;           // the draws: a CPU generator seeded by (seed, epoch, batch)
};

struct OpmProbabilities {
  double audio = 0, visual = 0;  // drop probability of each modality's features
};

// From the summed true-class scores: r_m = tanh(relu(s_m / (s_other + 1e-5) - 1)), and
// q_m = clip(q_base (1 + alpha r_m), 0, 1) where r_m > 0, else 0: only the dominant modality drops.
OpmProbabilities opm_drop_probabilities(double score_audio, double score_visual, double q_base, double alpha);

// theta = (Da q_a + Dv q_v) / (Da + Dv): the expected dropped share of the fused feature.
double opm_theta(int64_t audio_dim, int64_t visual_dim, const OpmProbabilities& q);

// features (B, D) times keep (B, 0/1), divided by (1 - theta + 1e-5) so the fused input keeps its scale.
torch::Tensor opm_drop_features(const torch::Tensor& features, const torch::Tensor& keep, double theta);

// The audio-visual model with OPM in its training forward; evaluation is the plain model. It is
// also the run's step hook (epoch range, per-epoch statistics).
class OpmAdapter : public ModelAdapter, public StepHook {
 public:
  OpmAdapter(AVClassifier model, OpmSettings s);
  torch::nn::Module& module() override { return inner_.module(); }
  ModelOutput forward(const Batch& batch) override;
  std::string kind() const override { return "av"; }
  void begin_epoch(int64_t epoch) override;
  // {"method": "opm", "modulated", "q_audio", "q_visual" (epoch means), "drop_steps", "steps",
  //  "dropped_audio", "dropped_visual" (samples), "train_audio_acc", "train_visual_acc"}.
  nlohmann::json end_epoch() override;

 private:
  AVClassifier model_;
  AVAdapter inner_;
  OpmSettings s_;
  int64_t epoch_ = 0, steps_ = 0, drop_steps_ = 0, dropped_a_ = 0, dropped_v_ = 0, seen_ = 0, correct_a_ = 0,
          correct_v_ = 0;
  double sum_qa_ = 0, sum_qv_ = 0;
};

}  // namespace avtune
