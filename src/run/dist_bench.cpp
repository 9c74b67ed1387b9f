#include "avtune/run/dist_bench.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>

#include "avtune/dist/data_parallel.h"
#include "avtune/dist/process_group.h"
#include "avtune/models/classifiers.h"
#include "avtune/models/memory_format.h"
#include "avtune/util/error.h"

namespace avtune {

StepBenchResult bench_data_parallel_step(const StepBenchConfig& cfg, const c10::Device& where, const std::string& backend) {
  DistOptions o;
  o.backend = backend;
  o.cuda = where.is_cuda();
  o.timeout_s = 120;
  const auto group = init_distributed(o);
  // Each rank its own GPU, as training runs do (run/training_run.cpp).
  const c10::Device device = group && where.is_cuda()
                                 ? c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(group->local_rank()))
                                 : where;
  const int world = group ? group->world_size() : 1;
  torch::manual_seed(cfg.seed);
  AVClassifier model(ResNetConfig{cfg.depth, 1, cfg.width}, ResNetConfig{cfg.depth, 3, cfg.width}, cfg.classes);
  model->to(device);
  set_channels_last(*model, cfg.channels_last);
  model->train();
  std::unique_ptr<GradientAverager> ddp;
  if (group) {
    broadcast_module_state(*group, *model);
    std::vector<torch::Tensor> params;
    std::vector<std::string> names;
    for (const auto& p : model->named_parameters()) names.push_back(p.key()), params.push_back(p.value());
    ddp = std::make_unique<GradientAverager>(*group, std::move(params), std::move(names));
  }
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(1e-3).momentum(0.9));
  // Each rank its own inputs, as its own shard would be.
  torch::manual_seed(cfg.seed + 1 + static_cast<uint64_t>(group ? group->rank() : 0));
  auto opts = torch::TensorOptions().device(device);
  auto audio = torch::randn({cfg.batch, 1, cfg.audio_frames, cfg.mel_bins}, opts);
  auto visual = torch::randn({cfg.batch, 3, cfg.clip_frames, cfg.image_size, cfg.image_size}, opts);
  auto labels = torch::randint(cfg.classes, {cfg.batch}, opts.dtype(torch::kLong));
  std::vector<double> times;
  StepBenchResult r;
  if (group) group->barrier();  // every rank starts timing together
  for (int s = 0; s < cfg.warmup + cfg.steps; ++s) {
    const auto t0 = std::chrono::steady_clock::now();
    opt.zero_grad();
    if (ddp) ddp->before_forward();
    auto loss = torch::cross_entropy_loss(model->forward(audio, visual).logits, labels);
    if (ddp) ddp->before_backward(loss);
    loss.backward();  // returns with every gradient averaged over the ranks
    opt.step();
    const double l = loss.item<double>();  // also synchronises a GPU
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s == 0) r.first_loss = l;
    r.last_loss = l;
    if (s >= cfg.warmup) times.push_back(dt);
  }
  std::sort(times.begin(), times.end());
  r.seconds_per_step = times.empty() ? 0 : times[times.size() / 2];
  r.samples_per_second = r.seconds_per_step > 0 ? static_cast<double>(cfg.batch * world) / r.seconds_per_step : 0;
  return r;
}

void fill_scaling_efficiency(std::vector<DistBenchRow>& rows) {
  if (rows.empty()) return;
  const double one = rows.front().samples_per_second / std::max(1, rows.front().processes);
  for (auto& r : rows) r.efficiency = one > 0 ? r.samples_per_second / (r.processes * one) : 0;
}

}  // namespace avtune
