#pragma once
// Stand-in for LibTorch's distributed-autograd context header, which c10d's reducer.hpp includes
// but Debian's libtorch-dev does not ship. reducer.hpp only names these two types (a callback type
// and a shared_ptr member, whose layout does not depend on the pointee); avtune never uses
// distributed autograd. Used only when the real header is missing (cmake/AvtuneTargets.cmake).
#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor&)>;
};
using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace autograd
}  // namespace distributed
}  // namespace torch
