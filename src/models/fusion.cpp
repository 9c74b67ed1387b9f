#include "avtune/models/fusion.h"

#include "avtune/util/error.h"

namespace avtune {

FusionKind parse_fusion_kind(const std::string& s) {
  if (s == "concat") return FusionKind::Concat;
  if (s == "sum") return FusionKind::Sum;
  if (s == "film") return FusionKind::FiLM;
  if (s == "gated") return FusionKind::Gated;
  fail("model", "a fusion concat|sum|film|gated", "'" + s + "'");
}

std::string to_string(FusionKind k) {
  switch (k) {
    case FusionKind::Concat: return "concat";
    case FusionKind::Sum: return "sum";
    case FusionKind::FiLM: return "film";
    case FusionKind::Gated: return "gated";
  }
  return "?";
}

ConcatFusionImpl::ConcatFusionImpl(int64_t audio_dim, int64_t visual_dim, int64_t num_classes) {
  fc_out = register_module("fc_out", torch::nn::Linear(audio_dim + visual_dim, num_classes));
}

torch::Tensor ConcatFusionImpl::forward(const torch::Tensor& a, const torch::Tensor& v) {
  return fc_out(torch::cat({a, v}, 1));
}

std::map<std::string, torch::Tensor> ConcatFusionImpl::parts(const torch::Tensor& a, const torch::Tensor& v) {
  // The weight splits into an audio and a visual block; the bias is shared half and half.
  const auto w = fc_out->weight.detach();
  const auto half_bias = fc_out->bias.defined() ? fc_out->bias.detach() / 2 : torch::zeros({w.size(0)}, w.options());
  const int64_t Da = a.size(1), Dv = v.size(1);
  return {{"audio", torch::mm(a, w.narrow(1, 0, Da).t()) + half_bias},
          {"visual", torch::mm(v, w.narrow(1, Da, Dv).t()) + half_bias}};
}

SumFusionImpl::SumFusionImpl(int64_t audio_dim, int64_t visual_dim, int64_t num_classes) {
  fc_x = register_module("fc_x", torch::nn::Linear(audio_dim, num_classes));
  fc_y = register_module("fc_y", torch::nn::Linear(visual_dim, num_classes));
}

torch::Tensor SumFusionImpl::forward(const torch::Tensor& a, const torch::Tensor& v) { return fc_x(a) + fc_y(v); }

std::map<std::string, torch::Tensor> SumFusionImpl::parts(const torch::Tensor& a, const torch::Tensor& v) {
  return {{"audio", fc_x(a)}, {"visual", fc_y(v)}};
}

FiLMFusionImpl::FiLMFusionImpl(int64_t audio_dim, int64_t visual_dim, int64_t num_classes) : dim_(visual_dim) {
  fc = register_module("fc", torch::nn::Linear(audio_dim, 2 * visual_dim));
  fc_out = register_module("fc_out", torch::nn::Linear(visual_dim, num_classes));
}

torch::Tensor FiLMFusionImpl::forward(const torch::Tensor& a, const torch::Tensor& v) {
  const auto gb = fc(a);
  return fc_out(gb.narrow(1, 0, dim_) * v + gb.narrow(1, dim_, dim_));
}

GatedFusionImpl::GatedFusionImpl(int64_t audio_dim, int64_t visual_dim, int64_t num_classes) {
  const int64_t dim = visual_dim;
  fc_x = register_module("fc_x", torch::nn::Linear(audio_dim, dim));
  fc_y = register_module("fc_y", torch::nn::Linear(visual_dim, dim));
  fc_out = register_module("fc_out", torch::nn::Linear(dim, num_classes));
}

torch::Tensor GatedFusionImpl::forward(const torch::Tensor& a, const torch::Tensor& v) {
  return fc_out(torch::sigmoid(fc_x(a)) * fc_y(v));
}

std::shared_ptr<FusionHeadImpl> make_fusion_head(FusionKind kind, int64_t da, int64_t dv, int64_t classes) {
  switch (kind) {
    case FusionKind::Concat: return std::make_shared<ConcatFusionImpl>(da, dv, classes);
    case FusionKind::Sum: return std::make_shared<SumFusionImpl>(da, dv, classes);
    case FusionKind::FiLM: return std::make_shared<FiLMFusionImpl>(da, dv, classes);
    case FusionKind::Gated: return std::make_shared<GatedFusionImpl>(da, dv, classes);
  }
  fail("model", "a known fusion kind", "?");
}

}  // namespace avtune
