#include "avtune/models/resnet.h"

#include <cmath>

#include "avtune/models/batch_norm_sync.h"
#include "avtune/util/error.h"

namespace avtune {

namespace nn = torch::nn;

std::vector<int> ResNetConfig::blocks() const {
  if (depth == 18) return {2, 2, 2, 2};
  if (depth == 34) return {3, 4, 6, 3};
  fail("resnet", "depth 18 or 34", std::to_string(depth));
}

int ResNetConfig::stage_width(int stage) const {
  static const int base[4] = {64, 128, 256, 512};
  if (width <= 0) fail("resnet", "a positive width multiplier", std::to_string(width));
  return std::max(1, static_cast<int>(std::lround(base[stage] * width)));
}

std::string ResNetConfig::describe() const {
  char buf[96];
  std::snprintf(buf, sizeof buf, "resnet%d(in=%d, width=%g)", depth, in_channels, width);
  return buf;
}

AbriMode parse_abri_mode(const std::string& s) {
  if (s == "none") return AbriMode::None;
  if (s == "batch") return AbriMode::Batch;
  if (s == "channel") return AbriMode::Channel;
  fail("abri", "none|batch|channel", "'" + s + "'");
}

namespace {
// A fresh twin for `bn` and its mixing weight, registered on `owner` under the reference's names.
void add_twin(nn::Module& owner, const nn::BatchNorm2d& bn, const std::string& twin_name, const std::string& weight_name,
              const AbriConfig& cfg, nn::BatchNorm2d* twin, torch::Tensor* alpha) {
  const int64_t c = bn->options.num_features();
  const auto opts = bn->weight.options();
  *twin = owner.register_module(twin_name, nn::BatchNorm2d(c));
  (*twin)->to(opts.device());
  auto a = cfg.mode == AbriMode::Channel ? torch::full({1, c, 1, 1}, cfg.alpha, opts) : torch::full({1}, cfg.alpha, opts);
  *alpha = owner.register_parameter(weight_name, a);
}

torch::Tensor norm(nn::BatchNorm2d bn, nn::BatchNorm2d twin, const torch::Tensor& alpha,
                   const torch::Tensor& x) {
  if (!twin) return batch_norm(bn, x);
  return alpha * batch_norm(bn, x) + (1 - alpha) * batch_norm(twin, x);
}

nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(false));
}
}  // namespace

BasicBlockImpl::BasicBlockImpl(int64_t inplanes, int64_t planes, int64_t stride) {
  conv1 = register_module("conv1", conv(inplanes, planes, 3, stride, 1));
  bn1 = register_module("bn1", nn::BatchNorm2d(planes));
  conv2 = register_module("conv2", conv(planes, planes, 3, 1, 1));
  bn2 = register_module("bn2", nn::BatchNorm2d(planes));
  if (stride != 1 || inplanes != planes) {
    ds_conv = conv(inplanes, planes, 1, stride, 0);
    ds_bn = nn::BatchNorm2d(planes);
    downsample = register_module("downsample", nn::Sequential(ds_conv, ds_bn));
  }
}

void BasicBlockImpl::enable_abri(const AbriConfig& cfg) {
  if (bn1_addition) fail("abri", "a block without ABRi twins", "ABRi already enabled");
  add_twin(*this, bn1, "bn1_addition", "fusion_weight1", cfg, &bn1_addition, &fusion_weight1);
  add_twin(*this, bn2, "bn2_addition", "fusion_weight2", cfg, &bn2_addition, &fusion_weight2);
  if (downsample) add_twin(*downsample, ds_bn, "bn_addition", "fusion_weight", cfg, &ds_addition, &ds_fusion_weight);
}

void BasicBlockImpl::set_observer(const BnObserver* obs, std::string prefix) {
  observer_ = obs;
  prefix_ = std::move(prefix);
}

torch::Tensor BasicBlockImpl::forward(torch::Tensor x) {
  auto out = norm(bn1, bn1_addition, fusion_weight1, conv1(x));
  if (observer_) (*observer_)(prefix_ + "bn1", out);
  // In-place ReLU and residual add, as torchvision: BN's backward does not need its output, and each
  // avoided activation-sized allocation is measurable at the paper's shapes (page faults on every step).
  out = norm(bn2, bn2_addition, fusion_weight2, conv2(torch::relu_(out)));
  if (observer_) (*observer_)(prefix_ + "bn2", out);
  torch::Tensor identity = x;
  if (downsample) {
    identity = norm(ds_bn, ds_addition, ds_fusion_weight, ds_conv(x));
    if (observer_) (*observer_)(prefix_ + "downsample.1", identity);
  }
  return torch::relu_(out.add_(identity));
}

ResNetEncoderImpl::ResNetEncoderImpl(const ResNetConfig& cfg) : cfg_(cfg) {
  if (cfg.in_channels <= 0) fail("resnet", "in_channels >= 1", std::to_string(cfg.in_channels));
  const auto blocks = cfg.blocks();
  int64_t inplanes = cfg.stage_width(0);
  conv1 = register_module("conv1", conv(cfg.in_channels, inplanes, 7, 2, 3));
  bn1 = register_module("bn1", nn::BatchNorm2d(inplanes));
  maxpool = register_module("maxpool", nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)));
  nn::Sequential* layers[4] = {&layer1, &layer2, &layer3, &layer4};
  for (int s = 0; s < 4; ++s) {
    const int64_t planes = cfg.stage_width(s);
    nn::Sequential seq;
    for (int b = 0; b < blocks[s]; ++b) {
      seq->push_back(BasicBlock(inplanes, planes, (b == 0 && s > 0) ? 2 : 1));
      inplanes = planes;
    }
    *layers[s] = register_module("layer" + std::to_string(s + 1), seq);
  }
  out_channels_ = inplanes;

  // torchvision's initialisation: He-normal (fan_out) convs, BN gamma 1 / beta 0.
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* c = m->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
    } else if (auto* b = m->as<nn::BatchNorm2d>()) {
      nn::init::ones_(b->weight);
      nn::init::zeros_(b->bias);
    }
  }
}

void ResNetEncoderImpl::enable_abri(const AbriConfig& cfg) {
  if (cfg.mode == AbriMode::None) return;
  if (abri_.mode != AbriMode::None) fail("abri", "an encoder without ABRi twins", "ABRi already enabled");
  abri_ = cfg;
  add_twin(*this, bn1, "bn1_addition", "fusion_weight", cfg, &bn1_addition, &fusion_weight);
  for (auto* layer : {&layer1, &layer2, &layer3, &layer4})
    for (size_t b = 0; b < (*layer)->size(); ++b) (*layer)[b]->as<BasicBlock>()->enable_abri(cfg);
}

void ResNetEncoderImpl::set_observer(const BnObserver* obs) {
  observer_ = obs;
  nn::Sequential* layers[4] = {&layer1, &layer2, &layer3, &layer4};
  for (int s = 0; s < 4; ++s)
    for (size_t b = 0; b < (*layers[s])->size(); ++b)
      (*layers[s])[b]->as<BasicBlock>()->set_observer(obs, "layer" + std::to_string(s + 1) + "." + std::to_string(b) + ".");
}

void ResNetEncoderImpl::set_channels_last(bool on) {
  const auto format = on ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  torch::NoGradGuard no_grad;
  for (auto& p : parameters())
    if (p.dim() == 4) p.set_data(p.contiguous(format));
  channels_last_ = on;
}

torch::Tensor ResNetEncoderImpl::forward(torch::Tensor x) {
  if (x.dim() != 4 || x.size(1) != cfg_.in_channels) {
    std::string got = "shape [";
    for (int64_t i = 0; i < x.dim(); ++i) got += (i ? "," : "") + std::to_string(x.size(i));
    fail("resnet", "input (B, " + std::to_string(cfg_.in_channels) + ", H, W)", got + "]");
  }
  if (channels_last_) x = x.contiguous(at::MemoryFormat::ChannelsLast);
  x = norm(bn1, bn1_addition, fusion_weight, conv1(x));
  if (observer_) (*observer_)("bn1", x);
  x = maxpool(torch::relu_(x));
  return layer4->forward(layer3->forward(layer2->forward(layer1->forward(x))));
}

}  // namespace avtune
