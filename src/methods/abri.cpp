#include "avtune/methods/abri.h"

#include <fmt/format.h>

namespace avtune {

namespace {

// fusion_weight -> bn1 (stem), fusion_weightK -> bnK (block), downsample.fusion_weight -> downsample.1.
std::string bn_of(const std::string& param) {
  const std::string key = "fusion_weight";
  const auto pos = param.rfind(key);
  const std::string head = param.substr(0, pos), tail = param.substr(pos + key.size());
  if (!tail.empty()) return head + "bn" + tail;
  if (head.size() >= 11 && head.compare(head.size() - 11, 11, "downsample.") == 0) return head + "1";
  return head + "bn1";
}

}  // namespace

std::vector<AbriAlpha> abri_alphas(torch::nn::Module& m) {
  std::vector<AbriAlpha> out;
  for (const auto& p : m.named_parameters(/*recurse=*/true)) {
    const std::string& name = p.key();
    if (name.find("fusion_weight") == std::string::npos) continue;
    const auto t = p.value().detach().to(torch::kCPU, torch::kDouble);
    AbriAlpha a;
    a.param = name;
    a.bn = bn_of(name);
    a.count = t.numel();
    a.mean = t.mean().item<double>();
    a.min = t.min().item<double>();
    a.max = t.max().item<double>();
    out.push_back(a);
  }
  return out;
}

AbriMode abri_mode_of(const StateDict& sd) {
  AbriMode mode = AbriMode::None;
  for (const auto& [k, t] : sd.entries()) {
    if (k.find("fusion_weight") == std::string::npos) continue;
    if (t.numel() != 1) return AbriMode::Channel;
    mode = AbriMode::Batch;
  }
  return mode;
}

std::string abri_alpha_csv(const std::vector<AbriAlpha>& alphas) {
  std::string s = "bn,param,count,mean,min,max\n";
  for (const auto& a : alphas)
    s += fmt::format("{},{},{},{:.6g},{:.6g},{:.6g}\n", a.bn, a.param, a.count, a.mean, a.min, a.max);
  return s;
}

std::string abri_alpha_table(const std::vector<AbriAlpha>& alphas) {
  size_t w = 2;
  for (const auto& a : alphas) w = std::max(w, a.bn.size());
  std::string s = fmt::format("{:<{}}  {:>8}  {:>8}  {:>8}  {:>5}\n", "BN", w, "alpha", "min", "max", "n");
  for (const auto& a : alphas)
    s += fmt::format("{:<{}}  {:>8.4f}  {:>8.4f}  {:>8.4f}  {:>5}\n", a.bn, w, a.mean, a.min, a.max, a.count);
  return s;
}

}  // namespace avtune
