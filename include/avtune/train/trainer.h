#pragma once
// The shared training loop: per-epoch training and evaluation of any classifier through a model
// adapter, atomic best/last checkpoints, exact resume, a JSONL metrics log and curve.csv, and a
// per-batch hook with each sample's true-class confidence (Fusion Tuning stage 1 records it).
#include <torch/torch.h>

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "avtune/data/loader.h"
#include "avtune/data/sample.h"
#include "avtune/models/classifiers.h"
#include "avtune/train/metrics.h"
#include "avtune/train/optimizer.h"
#include "avtune/train/step_hook.h"
#include "avtune/train/train_config.h"

namespace avtune {

struct ModelOutput {
  torch::Tensor logits;                        // (B, classes)
  std::map<std::string, torch::Tensor> parts;  // per-modality logits of a fusion head, for metrics only
  // Pooled per-modality features of an audio-visual forward ("audio", "visual"), graph kept: the
  // balancing methods read them in the step hook (train/step_hook.h).
  std::map<std::string, torch::Tensor> features;
  // A training-loss term of the adapter, added to the cross-entropy when defined (UMT's
  // distillation, methods/balance_umt.h); the engine knows no method.
  torch::Tensor aux_loss;
};

// What the loop needs from a model: its module, which batch tensors it reads, what it trains.
// New heads (probing, ABRi variants) add an adapter, not a new loop.
class ModelAdapter {
 public:
  virtual ~ModelAdapter() = default;
  virtual torch::nn::Module& module() = 0;
  // `batch` is already on the module's device.
  virtual ModelOutput forward(const Batch& batch) = 0;
  // Parameters the optimizer updates, named as in the module's state_dict.
  virtual std::vector<NamedParameter> parameters_to_train() { return trainable_parameters(module()); }
  // Train/eval mode (an adapter may keep frozen parts in eval mode).
  virtual void set_training(bool on) { module().train(on); }
  virtual std::string kind() const = 0;
};

// AudioClassifier on batch.audio (B, 1, T, F).
class AudioAdapter : public ModelAdapter {
 public:
  explicit AudioAdapter(AudioClassifier m) : m_(std::move(m)) {}
  torch::nn::Module& module() override { return *m_; }
  ModelOutput forward(const Batch& batch) override;
  std::string kind() const override { return "audio"; }

 private:
  AudioClassifier m_;
};

// VisualClassifier on batch.visual (B, 3, T, H, W), layout BCTHW.
class VisualAdapter : public ModelAdapter {
 public:
  explicit VisualAdapter(VisualClassifier m) : m_(std::move(m)) {}
  torch::nn::Module& module() override { return *m_; }
  ModelOutput forward(const Batch& batch) override;
  std::string kind() const override { return "visual"; }

 private:
  VisualClassifier m_;
};

// AVClassifier on both; in evaluation also each modality's part of an additive fusion head.
class AVAdapter : public ModelAdapter {
 public:
  explicit AVAdapter(AVClassifier m) : m_(std::move(m)) {}
  torch::nn::Module& module() override { return *m_; }
  ModelOutput forward(const Batch& batch) override;
  std::string kind() const override { return "av"; }

 private:
  AVClassifier m_;
};

// The adapter for a model made by make_model (audio, visual or av classifier).
std::unique_ptr<ModelAdapter> make_adapter(const std::shared_ptr<torch::nn::Module>& model);

// Copies of the batch's tensors on `device`.
Batch batch_to(const Batch& batch, const c10::Device& device);

// Per training batch, after the optimizer step.
struct BatchReport {
  int64_t epoch = 0;  // 0-based
  int64_t step = 0;   // optimizer steps taken so far (this batch included)
  double loss = 0;
  const std::vector<std::string>* names = nullptr;
  const std::vector<float>* confidence = nullptr;  // softmax probability of the true class, per sample
};
using BatchHook = std::function<void(const BatchReport&)>;

struct EpochRecord {
  int64_t epoch = 0;  // 1-based: epochs completed
  int64_t step = 0;   // optimizer steps completed
  double lr = 0;      // rate of the epoch's last step
  double train_loss = 0, train_acc = 0;
  bool evaluated = false;
  ClassificationMetrics eval;
  double seconds = 0;
  // Throughput and memory (docs/training.md): training samples per second of the epoch's training
  // part (evaluation excluded), the process's peak resident set so far, CUDA's peak allocated bytes
  // in the epoch (-1 off CUDA), in MiB; steps skipped by fp16 loss scaling and the scale after the epoch.
  double samples_per_second = 0, peak_rss_mib = -1, cuda_peak_mib = -1;
  int64_t skipped_steps = 0;
  double loss_scale = 1;
  nlohmann::json to_json() const;  // one metrics.jsonl line
};

struct TrainResult {
  std::vector<nlohmann::json> log;  // every metrics.jsonl line of the run (resumed ones included)
  std::vector<EpochRecord> epochs;  // epochs trained by this call
  int64_t epochs_done = 0, steps = 0;
  double best_top1 = -1;            // best eval top-1 so far (-1: never evaluated)
  int64_t best_epoch = 0;
  // name -> true-class confidence per epoch (record_confidences; resumed epochs are read back).
  std::map<std::string, std::vector<float>> confidences;
  std::string run_dir;
};

// Trains `model` for cfg.epochs epochs (from <out_dir>/last.pth when cfg.resume), evaluating on
// `eval` (may be null) every cfg.eval_every epochs and after the last. Writes into cfg.out_dir (if
// set): config.json, last.pth, best.pth (by eval top-1), metrics.jsonl, curve.csv and, with
// record_confidences, confidences.json. A non-finite loss or gradient norm throws avtune::Error
// naming the epoch and step, before any write of that epoch: the last checkpoint stays intact.
// The loaders' batch size, seed and workers are the caller's (see loader_options). `step_hook`
// (may be null) runs inside every training step (train/step_hook.h).
TrainResult fit(ModelAdapter& model, DataLoader& train, DataLoader* eval, const TrainConfig& cfg,
                const BatchHook& hook = nullptr, StepHook* step_hook = nullptr);

// Metrics of `model` over one pass of `loader` (eval mode, no gradients).
// `precision` (fp32|bf16|fp16, train/precision.h) autocasts the forward passes.
ClassificationMetrics evaluate(ModelAdapter& model, DataLoader& loader, const c10::Device& device,
                               bool progress = false, const std::string& precision = "fp32");

// Loader options for a run: batch size, seed and workers from the config; shuffled for training.
LoaderOptions loader_options(const TrainConfig& cfg, bool train);

// A run's confidences.json (record_confidences): per sample name, its true-class confidence in each
// recorded epoch, in epoch order. Throws avtune::Error naming the file when it is missing or malformed.
std::map<std::string, std::vector<float>> read_run_confidences(const std::string& path);

// File names inside a run directory.
struct RunFiles {
  static constexpr const char* kConfig = "config.json";
  static constexpr const char* kLast = "last.pth";
  static constexpr const char* kBest = "best.pth";
  static constexpr const char* kMetrics = "metrics.jsonl";
  static constexpr const char* kCurve = "curve.csv";
  static constexpr const char* kConfidences = "confidences.json";
};

}  // namespace avtune
