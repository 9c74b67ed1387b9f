#include "avtune/models/resnet.h"

#include <cmath>

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

namespace {
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
    downsample = register_module("downsample", nn::Sequential(conv(inplanes, planes, 1, stride, 0),
                                                              nn::BatchNorm2d(planes)));
  }
}

torch::Tensor BasicBlockImpl::forward(torch::Tensor x) {
  auto out = torch::relu(bn1(conv1(x)));
  out = bn2(conv2(out));
  auto identity = downsample ? downsample->forward(x) : x;
  return torch::relu(out + identity);
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

torch::Tensor ResNetEncoderImpl::forward(torch::Tensor x) {
  if (x.dim() != 4 || x.size(1) != cfg_.in_channels) {
    std::string got = "shape [";
    for (int64_t i = 0; i < x.dim(); ++i) got += (i ? "," : "") + std::to_string(x.size(i));
    fail("resnet", "input (B, " + std::to_string(cfg_.in_channels) + ", H, W)", got + "]");
  }
  x = maxpool(torch::relu(bn1(conv1(x))));
  return layer4->forward(layer3->forward(layer2->forward(layer1->forward(x))));
}

}  // namespace avtune
