#pragma once
// Data parallelism as PyTorch's DistributedDataParallel does it, on c10d's own Reducer: replicas
// start from rank 0's parameters and buffers, and gradients are averaged over the ranks in buckets
// all-reduced during the backward pass as their gradients become ready (docs/distributed.md).
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "avtune/dist/process_group.h"

namespace avtune {

// Rank 0's parameters and buffers on every rank (in place).
void broadcast_module_state(DistGroup& group, torch::nn::Module& module);

class GradientAverager {
 public:
  // `params`: the trained leaf tensors (requires_grad), every one used by each training step.
  GradientAverager(DistGroup& group, std::vector<torch::Tensor> params, std::vector<std::string> names);
  ~GradientAverager();
  GradientAverager(const GradientAverager&) = delete;
  GradientAverager& operator=(const GradientAverager&) = delete;

  // Before each training forward: after the first step the buckets follow the order in which
  // gradients arrived (one broadcast), as DDP does.
  void before_forward();
  // After the forward, before loss.backward(): arms the Reducer's hooks for this backward pass;
  // when backward returns, each .grad holds the average over the ranks.
  void before_backward(const torch::Tensor& loss);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The sum of `x` over the ranks, differentiable: the gradient of the input is the sum over the
// ranks of the output's gradients (SyncBatchNorm's statistics go through it).
torch::Tensor all_reduce_sum_autograd(DistGroup& group, const torch::Tensor& x);

}  // namespace avtune
