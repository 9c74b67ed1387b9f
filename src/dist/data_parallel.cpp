#include "avtune/dist/data_parallel.h"

#include <torch/csrc/distributed/c10d/reducer.hpp>

#include <algorithm>

#include "avtune/util/error.h"
#include "c10d_group.h"

namespace avtune {

void broadcast_module_state(DistGroup& group, torch::nn::Module& module) {
  std::vector<torch::Tensor> state;
  for (auto& p : module.parameters()) state.push_back(p);
  for (auto& b : module.buffers()) state.push_back(b);
  if (!state.empty()) group.broadcast(state, 0);
}

struct GradientAverager::Impl {
  std::unique_ptr<c10d::Reducer> reducer;
};

GradientAverager::GradientAverager(DistGroup& group, std::vector<torch::Tensor> params, std::vector<std::string> names)
    : impl_(std::make_unique<Impl>()) {
  if (params.empty()) fail("dist", "at least one trained parameter", "none");
  const size_t n = params.size();
  std::unordered_map<size_t, std::string> param_names;
  for (size_t i = 0; i < names.size(); ++i) param_names[i] = names[i];
  // DDP's bucketing (torch/nn/parallel/distributed.py): a small first bucket so communication starts
  // early, 25 MiB after; buckets in reverse parameter order, the order backward produces gradients.
  const std::vector<size_t> caps{static_cast<size_t>(c10d::kDefaultFirstBucketBytes),
                                 static_cast<size_t>(c10d::kDefaultBucketBytesCap)};
  auto [buckets, limits] = c10d::compute_bucket_assignment_by_size(params, caps, std::vector<bool>(n, false));
  std::reverse(buckets.begin(), buckets.end());
  std::reverse(limits.begin(), limits.end());
  impl_->reducer = std::make_unique<c10d::Reducer>(
      std::move(params), std::move(buckets), std::move(limits), group.impl().pg, std::vector<bool>(n, false),
      c10d::kDefaultBucketBytesCap, /*find_unused_parameters=*/false, /*gradient_as_bucket_view=*/false,
      std::move(param_names), c10d::kDefaultFirstBucketBytes);
}

GradientAverager::~GradientAverager() = default;

void GradientAverager::before_forward() {
  impl_->reducer->rebuild_buckets();
  impl_->reducer->prepare_for_forward();
}

void GradientAverager::before_backward(const torch::Tensor& loss) { impl_->reducer->prepare_for_backward({loss}); }

namespace {

struct AllReduceSum : torch::autograd::Function<AllReduceSum> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor x, int64_t group) {
    ctx->saved_data["group"] = group;
    std::vector<torch::Tensor> t{x.detach().clone()};
    reinterpret_cast<DistGroup*>(group)->all_reduce_sum(t);
    return t[0];
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    std::vector<torch::Tensor> g{grad[0].contiguous().clone()};
    reinterpret_cast<DistGroup*>(ctx->saved_data["group"].toInt())->all_reduce_sum(g);
    return {g[0], torch::Tensor()};
  }
};

}  // namespace

torch::Tensor all_reduce_sum_autograd(DistGroup& group, const torch::Tensor& x) {
  return AllReduceSum::apply(x, reinterpret_cast<int64_t>(&group));
}

}  // namespace avtune
