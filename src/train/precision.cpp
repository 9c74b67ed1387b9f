#include "avtune/train/precision.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <torch/version.h>
#include <sys/resource.h>

#include <cmath>

#include "avtune/build_config.h"
#include "avtune/util/error.h"

#if AVTUNE_HAS_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

// LibTorch 2.4 replaced the per-device autocast functions (set_enabled/set_cpu_enabled,
// set_autocast_gpu_dtype/set_autocast_cpu_dtype) by ones taking a DeviceType; 1.13 has only the old.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define AVTUNE_AUTOCAST_BY_DEVICE_TYPE 1
#else
#define AVTUNE_AUTOCAST_BY_DEVICE_TYPE 0
#endif

namespace avtune {

namespace {

bool autocast_enabled(bool cuda) {
#if AVTUNE_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(cuda ? at::kCUDA : at::kCPU);
#else
  return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

void set_autocast_enabled(bool cuda, bool on) {
#if AVTUNE_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_enabled(cuda ? at::kCUDA : at::kCPU, on);
#else
  if (cuda) at::autocast::set_enabled(on);
  else at::autocast::set_cpu_enabled(on);
#endif
}

c10::ScalarType get_dtype(bool cuda) {
#if AVTUNE_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::get_autocast_dtype(cuda ? at::kCUDA : at::kCPU);
#else
  return cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

void set_dtype(bool cuda, c10::ScalarType t) {
#if AVTUNE_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_dtype(cuda ? at::kCUDA : at::kCPU, t);
#else
  if (cuda) at::autocast::set_autocast_gpu_dtype(t);
  else at::autocast::set_autocast_cpu_dtype(t);
#endif
}

}  // namespace

Precision parse_precision(const std::string& s, const std::string& source) {
  if (s == "fp32") return Precision::FP32;
  if (s == "bf16") return Precision::BF16;
  if (s == "fp16") return Precision::FP16;
  fail("precision", "fp32|bf16|fp16 for " + source, "'" + s + "'");
}

std::string to_string(Precision p) {
  switch (p) {
    case Precision::BF16: return "bf16";
    case Precision::FP16: return "fp16";
    default: return "fp32";
  }
}

c10::ScalarType autocast_dtype(Precision p) {
  switch (p) {
    case Precision::BF16: return c10::ScalarType::BFloat16;
    case Precision::FP16: return c10::ScalarType::Half;
    default: return c10::ScalarType::Float;
  }
}

void check_precision_supported(Precision p, const c10::Device& device) {
  // CPU autocast in LibTorch 1.13 casts to bf16 only, and its CPU convolutions have no fp16 kernels.
  if (p == Precision::FP16 && !device.is_cuda())
    fail("precision", "fp16 on a CUDA device (on CPU use --precision bf16)", "fp16 on " + device.str());
}

AutocastGuard::AutocastGuard(Precision p, const c10::Device& device) {
  if (p == Precision::FP32) return;
  check_precision_supported(p, device);
  active_ = true;
  cuda_ = device.is_cuda();
  prev_enabled_ = autocast_enabled(cuda_);
  prev_dtype_ = get_dtype(cuda_);
  set_dtype(cuda_, autocast_dtype(p));
  set_autocast_enabled(cuda_, true);
  at::autocast::increment_nesting();
}

AutocastGuard::~AutocastGuard() {
  if (!active_) return;
  // The cache holds low-precision copies of the weights for one forward; stale after the step.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_autocast_enabled(cuda_, prev_enabled_);
  set_dtype(cuda_, prev_dtype_);
}

DynamicLossScaler::DynamicLossScaler(bool enabled, LossScalerConfig cfg)
    : enabled_(enabled), cfg_(cfg), scale_(cfg.init_scale) {
  if (!(cfg_.init_scale > 0) || !(cfg_.growth_factor > 1) || !(cfg_.backoff_factor > 0 && cfg_.backoff_factor < 1) ||
      cfg_.growth_interval < 1)
    fail("loss scaler", "init_scale > 0, growth_factor > 1, 0 < backoff_factor < 1, growth_interval >= 1",
         "other settings");
}

at::Tensor DynamicLossScaler::scale_loss(const at::Tensor& loss) const {
  return enabled_ ? loss * scale_ : loss;
}

bool DynamicLossScaler::unscale(const std::vector<at::Tensor>& params) const {
  if (!enabled_) return false;
  const double inv = 1.0 / scale_;  // scale_ is a power of two: the division is exact
  at::Tensor bad;
  for (const auto& p : params) {
    at::Tensor g = p.grad();
    if (!g.defined()) continue;
    g.mul_(inv);
    at::Tensor nf = g.isfinite().logical_not().any();
    bad = bad.defined() ? bad.logical_or(nf) : nf;
  }
  return bad.defined() && bad.item<bool>();
}

void DynamicLossScaler::update(bool found_inf) {
  if (!enabled_) return;
  if (found_inf) {
    scale_ *= cfg_.backoff_factor;
    tracker_ = 0;
    ++skipped_;
  } else if (++tracker_ >= cfg_.growth_interval) {
    // Grow only while the result stays finite in fp32 (as GradScaler's _amp_update_scale_).
    if (std::isfinite(scale_ * cfg_.growth_factor)) scale_ *= cfg_.growth_factor;
    tracker_ = 0;
  }
}

bool DynamicLossScaler::step(const std::vector<at::Tensor>& params, const std::function<void()>& optimizer_step) {
  const bool found_inf = unscale(params);
  if (!found_inf) optimizer_step();
  update(found_inf);
  return !found_inf;
}

nlohmann::json DynamicLossScaler::state() const {
  return {{"scale", scale_}, {"growth_tracker", tracker_}, {"skipped_steps", skipped_}};
}

void DynamicLossScaler::load_state(const nlohmann::json& j, const std::string& source) {
  try {
    const double s = j.at("scale").get<double>();
    if (!(s > 0) || !std::isfinite(s)) fail("loss scaler", "a positive finite scale in " + source, std::to_string(s));
    scale_ = s;
    tracker_ = j.at("growth_tracker").get<int64_t>();
    skipped_ = j.value("skipped_steps", int64_t{0});
  } catch (const nlohmann::json::exception& e) {
    fail("loss scaler", "{scale, growth_tracker} in " + source, e.what());
  }
}

double peak_rss_mib() {
  struct rusage u {};
  if (getrusage(RUSAGE_SELF, &u) != 0) return -1;
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // Linux reports KiB
}

double cuda_peak_allocated_mib(const c10::Device& device) {
#if AVTUNE_HAS_CUDA
  if (!device.is_cuda()) return -1;
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.has_index() ? device.index() : 0);
  return static_cast<double>(stats.allocated_bytes[0].peak) / (1024.0 * 1024.0);  // [0]: aggregate over pools
#else
  (void)device;
  return -1;
#endif
}

void reset_cuda_peak(const c10::Device& device) {
#if AVTUNE_HAS_CUDA
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(device.has_index() ? device.index() : 0);
#else
  (void)device;
#endif
}

}  // namespace avtune
