#include "avtune/train/throughput.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "avtune/models/classifiers.h"

namespace avtune {

StepBenchResult bench_av_train_step(const StepBenchConfig& cfg, const c10::Device& device) {
  torch::manual_seed(cfg.seed);
  AVClassifier model(ResNetConfig{cfg.depth, 1, cfg.width}, ResNetConfig{cfg.depth, 3, cfg.width}, cfg.classes);
  model->to(device);
  model->train();
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(1e-3).momentum(0.9));
  auto opts = torch::TensorOptions().device(device);
  auto audio = torch::randn({cfg.batch, 1, cfg.audio_frames, cfg.mel_bins}, opts);
  auto visual = torch::randn({cfg.batch, 3, cfg.clip_frames, cfg.image_size, cfg.image_size}, opts);
  auto labels = torch::randint(cfg.classes, {cfg.batch}, opts.dtype(torch::kLong));
  std::vector<double> times;
  StepBenchResult r;
  for (int s = 0; s < cfg.warmup + cfg.steps; ++s) {
    const auto t0 = std::chrono::steady_clock::now();
    opt.zero_grad();
    auto out = model->forward(audio, visual);
    auto loss = torch::cross_entropy_loss(out.logits, labels);
    loss.backward();
    opt.step();
    const double l = loss.item<double>();  // also synchronises a GPU
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s == 0) r.first_loss = l;
    r.last_loss = l;
    if (s >= cfg.warmup) times.push_back(dt);
  }
  std::sort(times.begin(), times.end());
  r.seconds_per_step = times.empty() ? 0 : times[times.size() / 2];
  r.samples_per_second = r.seconds_per_step > 0 ? static_cast<double>(cfg.batch) / r.seconds_per_step : 0;
  return r;
}

}  // namespace avtune
