#pragma once
// A training-step hook of the engine (issue 19): methods that act inside a step, such as the
// modality-balancing baselines (docs/balancing.md), plug in here. The engine calls it; it knows no
// method — run/ builds the hook a run's configuration names (methods/balance.h).
#include <nlohmann/json.hpp>

#include <cstdint>

namespace avtune {

struct Batch;
struct ModelOutput;

// What a hook sees of one training step.
struct StepView {
  int64_t epoch = 0;  // 0-based
  int64_t step = 0;   // optimizer steps taken before this one
  const Batch* batch = nullptr;         // on the model's device
  const ModelOutput* output = nullptr;  // the training forward (features with their graph)
};

class StepHook {
 public:
  virtual ~StepHook() = default;
  // Before the first batch of each epoch (0-based; also the first epoch of a resumed run).
  virtual void begin_epoch(int64_t epoch) { (void)epoch; }
  // After backward, before clipping and the optimizer step: may change gradients in place.
  virtual void after_backward(const StepView& step) { (void)step; }
  // After the epoch's last step: a summary kept in the epoch's metrics.jsonl line under "balance"
  // (null: nothing). Statistics restart with the next begin_epoch.
  virtual nlohmann::json end_epoch() { return nullptr; }
};

}  // namespace avtune
