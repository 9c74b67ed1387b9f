#include "avtune/methods/bn_reset.h"

namespace avtune {

namespace {
bool is_twin(const std::string& name) { return name.find("_addition") != std::string::npos; }
}  // namespace

int reset_all_bn(torch::nn::Module& m) {
  torch::NoGradGuard ng;
  int n = 0;
  for (const auto& item : m.named_modules("", false)) {
    auto* bn = item.value()->as<torch::nn::BatchNorm2d>();
    if (!bn || is_twin(item.key())) continue;
    bn->weight.fill_(1);
    bn->bias.zero_();
    bn->running_mean.zero_();
    bn->running_var.fill_(1);
    ++n;
  }
  return n;
}

int64_t reset_abnormal_bn(torch::nn::Module& m, double threshold) {
  torch::NoGradGuard ng;
  int64_t n = 0;
  for (const auto& item : m.named_modules("", false)) {
    auto* bn = item.value()->as<torch::nn::BatchNorm2d>();
    if (!bn || is_twin(item.key())) continue;
    auto mask = bn->weight.abs() < threshold;
    n += mask.sum().item<int64_t>();
    bn->weight.masked_fill_(mask, 1.0);
    bn->bias.masked_fill_(mask, 0.0);
  }
  return n;
}

}  // namespace avtune
