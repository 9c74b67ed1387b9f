#pragma once
// Shared helpers for avtune's tests: the torch-free ones (test_support_base.h) and tensor comparisons.
#include <torch/torch.h>

#include "test_support_base.h"

namespace avtune::test {

inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

}  // namespace avtune::test
