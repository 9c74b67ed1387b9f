#include "avtune/methods/balance_opm.h"

#include <algorithm>
#include <cmath>

#include "avtune/data/sample.h"
#include "avtune/methods/balance_ogm.h"
#include "avtune/util/error.h"

namespace avtune {

OpmProbabilities opm_drop_probabilities(double score_audio, double score_visual, double q_base, double alpha) {
  auto q = [&](double mine, double other) {
    const double r = std::tanh(std::max(0.0, mine / (other + 1e-5) - 1));  // BalanceBenchmark's 1e-5
    return r > 0 ? std::clamp(q_base * (1 + alpha * r), 0.0, 1.0) : 0.0;
  };
  return {q(score_audio, score_visual), q(score_visual, score_audio)};
}

double opm_theta(int64_t audio_dim, int64_t visual_dim, const OpmProbabilities& q) {
  return (static_cast<double>(audio_dim) * q.audio + static_cast<double>(visual_dim) * q.visual) /
         static_cast<double>(audio_dim + visual_dim);
}

torch::Tensor opm_drop_features(const torch::Tensor& features, const torch::Tensor& keep, double theta) {
  return features * keep.to(features.options()).view({-1, 1}) / (1 - theta + 1e-5);
}

OpmAdapter::OpmAdapter(AVClassifier model, OpmSettings s) : model_(model), inner_(std::move(model)), s_(s) {
  if (s_.q_base < 0 || s_.q_base > 1) fail("balance", "opm: q_base in [0, 1]", std::to_string(s_.q_base));
  if (s_.p_exe < 0 || s_.p_exe > 1) fail("balance", "opm: p_exe in [0, 1]", std::to_string(s_.p_exe));
  const auto kind = model_->fusion_module->kind();
  if (kind != FusionKind::Concat && kind != FusionKind::Sum)
    fail("balance", "opm: a concat or sum fusion head (its per-modality parts give the scores)", to_string(kind));
}

void OpmAdapter::begin_epoch(int64_t epoch) {
  epoch_ = epoch;
  steps_ = drop_steps_ = dropped_a_ = dropped_v_ = seen_ = correct_a_ = correct_v_ = 0;
  sum_qa_ = sum_qv_ = 0;
}

ModelOutput OpmAdapter::forward(const Batch& batch) {
  ModelOutput out = inner_.forward(batch);
  if (!model_->is_training()) return out;
  const auto& fa = out.features.at("audio");
  const auto& fv = out.features.at("visual");
  torch::Tensor pa, pv;
  {
    torch::NoGradGuard ng;
    auto parts = model_->fusion_module->parts(fa.detach().to(torch::kFloat), fv.detach().to(torch::kFloat));
    pa = parts.at("audio");
    pv = parts.at("visual");
  }
  const auto& labels = batch.labels;
  const auto q = opm_drop_probabilities(true_class_score(pa, labels), true_class_score(pv, labels), s_.q_base, s_.alpha);
  const int64_t B = labels.size(0);
  ++steps_;
  seen_ += B;
  correct_a_ += pa.argmax(1).eq(labels).sum().item<int64_t>();
  correct_v_ += pv.argmax(1).eq(labels).sum().item<int64_t>();
  sum_qa_ += q.audio;
  sum_qv_ += q.visual;
  if (epoch_ < s_.start || epoch_ > s_.end) return out;
  // One stream per (seed, epoch, batch of the epoch): the same draws on any device, and on resume.
  auto gen = balance_step_generator(s_.seed, (epoch_ << 32) + steps_);
  if (torch::rand({1}, gen, torch::kDouble).item<double>() >= s_.p_exe) return out;
  ++drop_steps_;
  const auto opts = torch::TensorOptions().dtype(torch::kFloat);
  const auto keep_a = torch::bernoulli(torch::full({B}, 1 - q.audio, opts), gen);
  const auto keep_v = torch::bernoulli(torch::full({B}, 1 - q.visual, opts), gen);
  dropped_a_ += B - static_cast<int64_t>(keep_a.sum().item<double>());
  dropped_v_ += B - static_cast<int64_t>(keep_v.sum().item<double>());
  // With two modalities at most one has q > 0, so no sample loses both (the reference then drops
  // such samples from the loss).
  const double theta = opm_theta(fa.size(1), fv.size(1), q);
  const auto dev = fa.device();
  out.logits = model_->fusion_module->forward(opm_drop_features(fa, keep_a.to(dev), theta),
                                              opm_drop_features(fv, keep_v.to(dev), theta));
  return out;
}

nlohmann::json OpmAdapter::end_epoch() {
  const double n = steps_ ? static_cast<double>(steps_) : 1;
  const double m = seen_ ? static_cast<double>(seen_) : 1;
  return {{"method", "opm"},
          {"alpha", s_.alpha},
          {"modulated", epoch_ >= s_.start && epoch_ <= s_.end},
          {"q_audio", sum_qa_ / n},
          {"q_visual", sum_qv_ / n},
          {"drop_steps", drop_steps_},
          {"steps", steps_},
          {"dropped_audio", dropped_a_},
          {"dropped_visual", dropped_v_},
          {"train_audio_acc", static_cast<double>(correct_a_) / m},
          {"train_visual_acc", static_cast<double>(correct_v_) / m}};
}

}  // namespace avtune
