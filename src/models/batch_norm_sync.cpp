#include "avtune/models/batch_norm_sync.h"

#include "avtune/util/error.h"

namespace avtune {

namespace {
BatchStatsSum& installed() {
  static BatchStatsSum sum;
  return sum;
}
}  // namespace

ScopedBatchNormSync::ScopedBatchNormSync(BatchStatsSum sum) {
  if (installed()) fail("batchnorm", "one synchronised-BN scope at a time", "a second one");
  installed() = std::move(sum);
}

ScopedBatchNormSync::~ScopedBatchNormSync() { installed() = nullptr; }

torch::Tensor batch_norm(torch::nn::BatchNorm2d& bn, const torch::Tensor& x) {
  const auto& sum = installed();
  if (!sum || !bn->is_training()) return bn(x);
  const auto& o = bn->options;
  const int64_t C = x.size(1);
  const std::vector<int64_t> dims{0, 2, 3}, shape{1, C, 1, 1};
  // Two passes (mean, then squared deviations), as numerically safe as the single-process kernel.
  auto n_local = torch::full({1}, static_cast<double>(x.numel() / C), x.options());
  auto s = sum(torch::cat({x.sum(dims), n_local}));
  auto n = s.slice(0, C, C + 1).detach();
  auto mean = s.slice(0, 0, C) / n;
  auto xc = x - mean.view(shape);
  auto var = sum(xc.square().sum(dims)) / n;
  auto y = xc * torch::rsqrt(var + o.eps()).view(shape);
  if (o.affine()) y = y * bn->weight.view(shape) + bn->bias.view(shape);
  if (o.track_running_stats()) {
    torch::NoGradGuard ng;
    bn->num_batches_tracked += 1;
    const double m = o.momentum() ? *o.momentum() : 1.0 / bn->num_batches_tracked.item<double>();
    const double count = n.item<double>();
    bn->running_mean.mul_(1 - m).add_(mean.detach() * m);
    bn->running_var.mul_(1 - m).add_(var.detach() * (count / std::max(1.0, count - 1)) * m);
  }
  return y;
}

}  // namespace avtune
