// The model adapters of the trainer (train/trainer.h): what a batch feeds each classifier kind,
// and the loader options and device copy of a run's batches.
#include "avtune/train/trainer.h"

#include "avtune/dist/process_group.h"
#include "avtune/util/error.h"
#include "avtune/util/runtime.h"

namespace avtune {

// ---- adapters -------------------------------------------------------------------------------

namespace {
const torch::Tensor& need(const torch::Tensor& t, const char* what, const std::string& adapter) {
  if (!t.defined()) fail("trainer", "batches with " + std::string(what) + " for the " + adapter + " model", "none");
  return t;
}
}  // namespace

ModelOutput AudioAdapter::forward(const Batch& batch) {
  return {m_->forward(need(batch.audio, "audio", kind())), {}, {}, {}};
}

ModelOutput VisualAdapter::forward(const Batch& batch) {
  return {m_->forward(need(batch.visual, "visual clips", kind()), ClipLayout::BCTHW), {}, {}, {}};
}

ModelOutput AVAdapter::forward(const Batch& batch) {
  auto out = m_->forward(need(batch.audio, "audio", kind()), need(batch.visual, "visual clips", kind()), ClipLayout::BCTHW);
  std::map<std::string, torch::Tensor> features{{"audio", out.audio_features}, {"visual", out.visual_features}};
  if (m_->is_training()) return {out.logits, {}, std::move(features), {}};
  // Parts are evaluation metrics only: no graph through them, not computed while training.
  torch::NoGradGuard ng;
  return {out.logits, m_->fusion_module->parts(out.audio_features.detach(), out.visual_features.detach()),
          std::move(features), {}};
}

std::unique_ptr<ModelAdapter> make_adapter(const std::shared_ptr<torch::nn::Module>& model) {
  if (auto a = std::dynamic_pointer_cast<AudioClassifierImpl>(model)) return std::make_unique<AudioAdapter>(AudioClassifier(a));
  if (auto v = std::dynamic_pointer_cast<VisualClassifierImpl>(model)) return std::make_unique<VisualAdapter>(VisualClassifier(v));
  if (auto av = std::dynamic_pointer_cast<AVClassifierImpl>(model)) return std::make_unique<AVAdapter>(AVClassifier(av));
  fail("trainer", "an audio, visual or av classifier", model ? model->name() : "null");
}

Batch batch_to(const Batch& b, const c10::Device& device) {
  Batch out;
  out.names = b.names;
  out.indices = b.indices;
  const bool nb = device.is_cuda();  // pinned or not, an async copy overlaps on CUDA and is a no-op on CPU
  auto move = [&](const torch::Tensor& t) { return t.defined() ? t.to(device, nb) : t; };
  out.labels = move(b.labels);
  out.audio = move(b.audio);
  out.visual = move(b.visual);
  return out;
}

LoaderOptions loader_options(const TrainConfig& cfg, bool train) {
  LoaderOptions o;
  o.batch_size = cfg.batch_size;
  o.shuffle = train;
  o.drop_last = false;
  o.workers = cfg.workers;
  o.seed = cfg.seed;
  o.pin_memory = resolve_device(cfg.device).is_cuda();  // overlapped host-to-GPU copies (batch_to)
  if (auto g = current_dist_group()) {  // DistributedSampler semantics: docs/distributed.md
    o.rank = g->rank();
    o.world_size = g->world_size();
    o.pad = train;
  }
  return o;
}

}  // namespace avtune
