#include "avtune/run/throughput.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "avtune/data/dataset_spec.h"
#include "avtune/data/loader.h"
#include "avtune/models/classifiers.h"
#include "avtune/models/memory_format.h"
#include "avtune/train/precision.h"
#include "avtune/util/error.h"

namespace avtune {

StepBenchResult bench_av_train_step(const StepBenchConfig& cfg, const c10::Device& device) {
  torch::manual_seed(cfg.seed);
  AVClassifier model(ResNetConfig{cfg.depth, 1, cfg.width}, ResNetConfig{cfg.depth, 3, cfg.width}, cfg.classes);
  model->to(device);
  set_channels_last(*model, cfg.channels_last);
  model->train();
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(1e-3).momentum(0.9));
  auto opts = torch::TensorOptions().device(device);
  auto audio = torch::randn({cfg.batch, 1, cfg.audio_frames, cfg.mel_bins}, opts);
  auto visual = torch::randn({cfg.batch, 3, cfg.clip_frames, cfg.image_size, cfg.image_size}, opts);
  auto labels = torch::randint(cfg.classes, {cfg.batch}, opts.dtype(torch::kLong));
  const Precision prec = parse_precision(cfg.precision, "--precision");
  DynamicLossScaler scaler(prec == Precision::FP16);  // as the trainer: fp16 scales the loss
  std::vector<double> times;
  StepBenchResult r;
  for (int s = 0; s < cfg.warmup + cfg.steps; ++s) {
    const auto t0 = std::chrono::steady_clock::now();
    opt.zero_grad();
    torch::Tensor loss;
    {
      AutocastGuard autocast(prec, device);
      auto out = model->forward(audio, visual);
      loss = torch::cross_entropy_loss(out.logits.to(torch::kFloat), labels);
    }
    scaler.scale_loss(loss).backward();
    scaler.step(model->parameters(), [&] { opt.step(); });
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

StepBenchResult bench_av_train_end_to_end(const EndToEndBenchConfig& cfg, const c10::Device& device) {
  torch::manual_seed(cfg.seed);
  DatasetSpec spec;
  spec.root = cfg.root;
  spec.modality = Modality::AV;
  spec.clip.frames = static_cast<int>(cfg.clip_frames);
  spec.clip.image_size = cfg.image_size;
  spec.clip.audio.target_frames = cfg.audio_frames;
  spec.clip.audio.fbank.num_mel_bins = cfg.mel_bins;
  auto ds = open_dataset(spec, "train", /*train=*/true);
  const auto classes = static_cast<int64_t>(ds->class_names().size());
  const int64_t need = static_cast<int64_t>(cfg.warmup + cfg.steps) * cfg.batch;
  if (static_cast<int64_t>(ds->size()) < need)
    fail("bench", std::to_string(need) + " training clips for the requested steps", std::to_string(ds->size()), {cfg.root});
  AVClassifier model(ResNetConfig{cfg.depth, 1, cfg.width}, ResNetConfig{cfg.depth, 3, cfg.width}, classes);
  model->to(device);
  set_channels_last(*model, cfg.channels_last);
  model->train();
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(1e-3).momentum(0.9));
  LoaderOptions lo;
  lo.batch_size = cfg.batch;
  lo.workers = cfg.workers;
  lo.seed = cfg.seed;
  lo.pin_memory = device.is_cuda();
  DataLoader loader(ds, lo);
  const Precision prec = parse_precision(cfg.precision, "--precision");
  DynamicLossScaler scaler(prec == Precision::FP16);
  loader.start_epoch(0);
  StepBenchResult r;
  std::chrono::steady_clock::time_point t0;
  for (int s = 0; s < cfg.warmup + cfg.steps; ++s) {
    if (s == cfg.warmup) t0 = std::chrono::steady_clock::now();
    auto b = loader.next();
    if (!b) fail("bench", "a batch", "the end of the epoch");
    opt.zero_grad();
    torch::Tensor loss;
    {
      AutocastGuard autocast(prec, device);
      auto out = model->forward(b->audio.to(device, /*non_blocking=*/true), b->visual.to(device, true));
      loss = torch::cross_entropy_loss(out.logits.to(torch::kFloat), b->labels.to(device, true));
    }
    scaler.scale_loss(loss).backward();
    scaler.step(model->parameters(), [&] { opt.step(); });
    const double l = loss.item<double>();
    if (s == 0) r.first_loss = l;
    r.last_loss = l;
  }
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.seconds_per_step = total / cfg.steps;
  r.samples_per_second = static_cast<double>(cfg.batch * cfg.steps) / total;
  return r;
}

}  // namespace avtune
