// avtune's audio-visual model on a GPU: the same weights give the same outputs on CPU and CUDA, NCHW and
// channels-last agree on CUDA, and the paper-shape training step is timed in both layouts. One JSON line.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "avtune/models/classifiers.h"
#include "avtune/models/memory_format.h"

using namespace avtune;

namespace {
double step_seconds(AVClassifier& m, const torch::Tensor& a, const torch::Tensor& v, const torch::Tensor& y, int steps) {
  torch::optim::SGD opt(m->parameters(), torch::optim::SGDOptions(1e-3).momentum(0.9));
  std::vector<double> t;
  for (int s = 0; s < steps + 2; ++s) {
    const auto t0 = std::chrono::steady_clock::now();
    opt.zero_grad();
    auto loss = torch::cross_entropy_loss(m->forward(a, v).logits, y);
    loss.backward();
    opt.step();
    loss.item<double>();  // synchronises
    if (s >= 2) t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}
}  // namespace

int main() {
  if (!torch::cuda::is_available()) {
    std::fprintf(stderr, "no CUDA device\n");
    return 1;
  }
  const torch::Device cuda(torch::kCUDA, 0);
  torch::manual_seed(0);
  AVClassifier cpu(ResNetConfig{18, 1, 1.0}, ResNetConfig{18, 3, 1.0}, 31);
  AVClassifier gpu(ResNetConfig{18, 1, 1.0}, ResNetConfig{18, 3, 1.0}, 31);
  {
    torch::NoGradGuard ng;
    auto src = cpu->named_parameters(), dst = gpu->named_parameters();
    for (auto& p : src) dst[p.key()].copy_(p.value());
    auto sb = cpu->named_buffers(), db = gpu->named_buffers();
    for (auto& b : sb) db[b.key()].copy_(b.value());
  }
  gpu->to(cuda);
  const auto a = torch::randn({4, 1, 1024, 128}), v = torch::randn({4, 3, 3, 224, 224});
  const auto y = torch::randint(31, {4});
  double cpu_gpu = 0, nchw_nhwc = 0;
  {
    torch::NoGradGuard ng;
    cpu->eval();
    gpu->eval();
    const auto ref = cpu->forward(a, v).logits;
    const auto got = gpu->forward(a.to(cuda), v.to(cuda)).logits.cpu();
    cpu_gpu = (ref - got).abs().max().item<double>() / (1 + ref.abs().max().item<double>());
    set_channels_last(*gpu, true);
    const auto nhwc = gpu->forward(a.to(cuda), v.to(cuda)).logits.cpu();
    nchw_nhwc = (got - nhwc).abs().max().item<double>() / (1 + got.abs().max().item<double>());
  }
  gpu->train();
  const auto ga = a.to(cuda), gv = v.to(cuda), gy = y.to(cuda);
  set_channels_last(*gpu, false);
  const double t_nchw = step_seconds(gpu, ga, gv, gy, 20);
  set_channels_last(*gpu, true);
  const double t_nhwc = step_seconds(gpu, ga, gv, gy, 20);
  const bool ok = cpu_gpu < 1e-3 && nchw_nhwc < 1e-3;
  std::printf("{\"device\": \"%s\", \"torch\": \"%s\", \"rel_diff_cpu_vs_cuda\": %.3g, \"rel_diff_nchw_vs_nhwc\": %.3g, "
              "\"step_s_nchw\": %.5f, \"step_s_channels_last\": %.5f, \"ok\": %s}\n",
              torch::cuda::device_count() ? "cuda:0" : "?", TORCH_VERSION, cpu_gpu, nchw_nhwc, t_nchw, t_nhwc,
              ok ? "true" : "false");
  return ok ? 0 : 1;
}
