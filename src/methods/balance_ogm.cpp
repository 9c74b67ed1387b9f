#include "avtune/methods/balance_ogm.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>

#include "avtune/data/sample.h"
#include "avtune/train/trainer.h"
#include "avtune/util/error.h"

namespace avtune {

OgmCoefficients ogm_coefficients(double score_audio, double score_visual, double alpha, bool centered) {
  OgmCoefficients c;
  if (score_audio == 0 && score_visual == 0) return c;  // 0/0: no evidence either way
  c.ratio = score_visual / score_audio;                 // +inf when only audio scores 0
  auto k = [&](double rho) {
    // The released code: 1 - tanh(alpha * relu(rho)), relu a no-op for rho >= 1; clipped at 0 as
    // BalanceBenchmark does (tanh < 1 keeps it positive anyway).
    const double arg = centered ? rho - 1 : rho;
    return std::max(0.0, 1 - std::tanh(alpha * std::max(0.0, arg)));
  };
  if (c.ratio > 1) c.visual = k(c.ratio);
  else c.audio = k(1 / c.ratio);
  return c;
}

double true_class_score(const torch::Tensor& logits, const torch::Tensor& labels) {
  torch::NoGradGuard ng;
  return torch::softmax(logits.detach().to(torch::kDouble), 1).gather(1, labels.view({-1, 1})).sum().item<double>();
}

void ogm_modulate_gradient(torch::Tensor& grad, double coeff, bool noise, const at::Generator& gen) {
  torch::NoGradGuard ng;
  // std before scaling, as the released code evaluates `grad * k + normal(0, grad.std())`.
  const double sd = noise ? grad.std().item<double>() + 1e-8 : 0;
  grad.mul_(coeff);
  if (!noise) return;
  if (gen.defined() && grad.is_cpu()) grad.add_(torch::empty_like(grad).normal_(0, sd, gen));
  else grad.add_(torch::empty_like(grad).normal_(0, sd));
}

at::Generator balance_step_generator(uint64_t seed, int64_t step) {
  // splitmix64 of the pair: neighbouring steps and seeds get unrelated streams.
  auto mix = [](uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  return at::make_generator<at::CPUGeneratorImpl>(mix(seed ^ mix(static_cast<uint64_t>(step))));
}

OgmHook::OgmHook(AVClassifier model, OgmSettings s) : model_(std::move(model)), s_(s) {
  if (s_.alpha < 0) fail("balance", "ogm: alpha >= 0", std::to_string(s_.alpha));
  const auto kind = model_->fusion_module->kind();
  if (kind != FusionKind::Concat && kind != FusionKind::Sum)
    fail("balance", "ogm: a concat or sum fusion head (its per-modality parts give the scores)", to_string(kind));
}

void OgmHook::begin_epoch(int64_t epoch) {
  epoch_ = epoch;
  steps_ = audio_dominant_ = seen_ = correct_a_ = correct_v_ = 0;
  sum_ca_ = sum_cv_ = sum_ratio_ = 0;
}

void OgmHook::after_backward(const StepView& step) {
  const auto& f = step.output->features;
  const auto a = f.find("audio"), v = f.find("visual");
  if (a == f.end() || v == f.end()) fail("balance", "ogm: an audio-visual model's features", "none");
  const auto& labels = step.batch->labels;
  torch::Tensor pa, pv;
  {
    torch::NoGradGuard ng;
    auto parts = model_->fusion_module->parts(a->second.detach().to(torch::kFloat), v->second.detach().to(torch::kFloat));
    pa = parts.at("audio");
    pv = parts.at("visual");
  }
  const auto c = ogm_coefficients(true_class_score(pa, labels), true_class_score(pv, labels), s_.alpha, s_.centered);
  ++steps_;
  audio_dominant_ += c.ratio <= 1;  // the branch the reference takes: audio damped
  sum_ca_ += c.audio;
  sum_cv_ += c.visual;
  sum_ratio_ += std::isfinite(c.ratio) ? c.ratio : 0;
  seen_ += labels.size(0);
  correct_a_ += pa.argmax(1).eq(labels).sum().item<int64_t>();
  correct_v_ += pv.argmax(1).eq(labels).sum().item<int64_t>();
  if (epoch_ < s_.start || epoch_ > s_.end) return;
  const at::Generator gen = balance_step_generator(s_.seed, step.step);
  auto modulate = [&](torch::nn::Module& enc, double coeff) {
    for (auto& p : enc.parameters()) {
      auto& g = p.mutable_grad();
      if (g.defined() && g.dim() == 4) ogm_modulate_gradient(g, coeff, s_.noise, gen);
    }
  };
  modulate(*model_->audio_net, c.audio);
  modulate(*model_->visual_net, c.visual);
}

nlohmann::json OgmHook::end_epoch() {
  const double n = steps_ ? static_cast<double>(steps_) : 1;
  const double m = seen_ ? static_cast<double>(seen_) : 1;
  return {{"method", s_.noise ? "ogm-ge" : "ogm"},
          {"alpha", s_.alpha},
          {"modulated", epoch_ >= s_.start && epoch_ <= s_.end},
          {"coeff_audio", sum_ca_ / n},
          {"coeff_visual", sum_cv_ / n},
          {"ratio", sum_ratio_ / n},
          {"audio_dominant_steps", audio_dominant_},
          {"steps", steps_},
          {"train_audio_acc", static_cast<double>(correct_a_) / m},
          {"train_visual_acc", static_cast<double>(correct_v_) / m}};
}

}  // namespace avtune
