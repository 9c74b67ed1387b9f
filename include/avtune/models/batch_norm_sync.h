#pragma once
// SyncBatchNorm semantics for the encoders' BatchNorm layers (ABRi's twins included): in training
// mode, batch statistics over the samples of every process of a data-parallel run. The engine
// installs the cross-process sum; the models know no process group (docs/distributed.md).
#include <torch/torch.h>

#include <functional>

namespace avtune {

// Differentiable sum of a tensor over the processes (backward: the sum of the output gradients).
using BatchStatsSum = std::function<torch::Tensor(const torch::Tensor&)>;

// While alive, BatchNorm layers run through batch_norm() in training mode use statistics summed by
// `sum`. One per process (the engine's training loop); not nestable.
class ScopedBatchNormSync {
 public:
  explicit ScopedBatchNormSync(BatchStatsSum sum);
  ~ScopedBatchNormSync();
  ScopedBatchNormSync(const ScopedBatchNormSync&) = delete;
  ScopedBatchNormSync& operator=(const ScopedBatchNormSync&) = delete;
};

// bn(x), or with a ScopedBatchNormSync alive and bn in training mode, the synchronised version:
// mean and biased variance over every process's batch, running statistics updated with the
// unbiased variance of that global batch (PyTorch's SyncBatchNorm).
torch::Tensor batch_norm(torch::nn::BatchNorm2d& bn, const torch::Tensor& x);

}  // namespace avtune
