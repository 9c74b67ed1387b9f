#pragma once
// Mixed precision for training and evaluation (docs/training.md, "Mixed precision"): autocast around
// forward and loss, fp32 master weights and optimizer state, and for fp16 dynamic loss scaling with
// the semantics of PyTorch's GradScaler (Micikevicius et al. 2018, "Mixed Precision Training").
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace avtune {

enum class Precision { FP32, BF16, FP16 };

// "fp32" | "bf16" | "fp16"; anything else throws avtune::Error naming `source`.
Precision parse_precision(const std::string& s, const std::string& source = "precision");
std::string to_string(Precision p);
// The dtype autocast computes in (kFloat for fp32).
c10::ScalarType autocast_dtype(Precision p);
// Throws avtune::Error when `p` cannot run on `device` with this LibTorch (fp16 autocast on CPU
// needs LibTorch >= 2.3's CPU fp16 kernels; avtune allows it on CUDA only).
void check_precision_supported(Precision p, const c10::Device& device);

// Autocast on `device`'s type in `p`'s dtype while alive (fp32: does nothing). Restores the previous
// state and, when leaving the outermost autocast region, drops autocast's cache of cast weights (as
// torch.autocast's __exit__). Hides the LibTorch 1.13 / 2.x API differences (precision.cpp).
class AutocastGuard {
 public:
  AutocastGuard(Precision p, const c10::Device& device);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool active_ = false, cuda_ = false, prev_enabled_ = false;
  c10::ScalarType prev_dtype_ = c10::ScalarType::Float;
};

// Dynamic loss scaling (GradScaler semantics): the loss is multiplied by `scale` before backward;
// unscale() divides the gradients by it and reports whether any is inf/NaN; update() halves the
// scale after such a step (which the caller skips) and doubles it after `growth_interval`
// consecutive good steps. Disabled (scale 1, never skips) unless constructed enabled.
struct LossScalerConfig {
  double init_scale = 65536.0;  // 2^16, GradScaler's default
  double growth_factor = 2.0, backoff_factor = 0.5;
  int64_t growth_interval = 2000;
};

class DynamicLossScaler {
 public:
  explicit DynamicLossScaler(bool enabled = false, LossScalerConfig cfg = {});
  bool enabled() const { return enabled_; }
  double scale() const { return enabled_ ? scale_ : 1.0; }
  int64_t growth_tracker() const { return tracker_; }
  int64_t skipped_steps() const { return skipped_; }

  at::Tensor scale_loss(const at::Tensor& loss) const;
  // Divides every defined gradient of `params` by the scale in place; true when any gradient holds
  // an inf or NaN (one host sync for all of them). Disabled: checks nothing, returns false.
  bool unscale(const std::vector<at::Tensor>& params) const;
  // After each step: found_inf lowers the scale and counts a skipped step, else counts a good one.
  void update(bool found_inf);
  // One optimizer step under scaling: unscale(params); `optimizer_step` unless a gradient is inf/NaN;
  // update(). Returns whether it stepped. Disabled: always steps.
  bool step(const std::vector<at::Tensor>& params, const std::function<void()>& optimizer_step);

  // {"scale", "growth_tracker", "skipped_steps"}: saved in the checkpoint, restored on resume.
  nlohmann::json state() const;
  void load_state(const nlohmann::json& j, const std::string& source);

 private:
  bool enabled_;
  LossScalerConfig cfg_;
  double scale_;
  int64_t tracker_ = 0, skipped_ = 0;
};

// Peak memory for metrics.jsonl: the process's maximum resident set (getrusage) in MiB, and on CUDA
// the caching allocator's peak of allocated bytes in MiB since the last reset (-1 where unavailable).
double peak_rss_mib();
double cuda_peak_allocated_mib(const c10::Device& device);
void reset_cuda_peak(const c10::Device& device);

}  // namespace avtune
