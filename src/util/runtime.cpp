#include "avtune/util/runtime.h"

#include <torch/torch.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "avtune/util/error.h"

namespace avtune {

bool tune_allocator() {
#if defined(__GLIBC__)
  const char* opt_out = std::getenv("AVTUNE_SYSTEM_MALLOC");
  if (opt_out && *opt_out && std::strcmp(opt_out, "0") != 0) return false;
  // Both or neither: without the trim threshold the heap top would be returned to the system after each step.
  return mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, INT_MAX) == 1;
#else
  return false;
#endif
}

std::mutex& global_rng_mutex() {
  static std::mutex mu;
  return mu;
}

int configure_threads(int n) {
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(n);
  static bool interop_set = false;
  if (!interop_set) {
    // at::set_num_interop_threads throws once the pool has started; set it first thing.
    try {
      at::set_num_interop_threads(n);
    } catch (const c10::Error&) {
    }
    interop_set = true;
  }
  return torch::get_num_threads();
}

void set_deterministic(bool on) {
  if (on) ::setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);  // PyTorch's reproducibility notes
  at::globalContext().setDeterministicCuDNN(on);
  at::globalContext().setBenchmarkCuDNN(false);
  at::globalContext().setDeterministicAlgorithms(on, /*warn_only=*/true);
}

c10::Device resolve_device(const std::string& spec) {
  const bool have_cuda = torch::cuda::is_available();
  if (spec == "auto") return have_cuda ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  if (spec == "cpu") return c10::Device(c10::kCPU);
  if (spec.rfind("cuda", 0) == 0) {
    if (!have_cuda)
      fail("device", "a CUDA-enabled LibTorch and a visible GPU for --device " + spec,
           "none (this LibTorch reports torch::cuda::is_available() == false)");
    c10::Device d(c10::kCPU);
    try {
      d = c10::Device(spec);
    } catch (const c10::Error&) {
      fail("device", "auto|cpu|cuda|cuda:N", "'" + spec + "'");
    }
    if (d.has_index() && d.index() >= static_cast<int>(torch::cuda::device_count()))
      fail("device", "a GPU index below " + std::to_string(torch::cuda::device_count()), spec);
    if (!d.has_index()) d.set_index(0);
    return d;
  }
  fail("device", "auto|cpu|cuda|cuda:N", "'" + spec + "'");
}

std::string runtime_summary() {
  std::string s = "LibTorch " + std::string(TORCH_VERSION) + ", intra-op threads " +
                  std::to_string(torch::get_num_threads()) + ", inter-op threads " +
                  std::to_string(at::get_num_interop_threads()) + ", CUDA " +
                  (torch::cuda::is_available() ? std::to_string(torch::cuda::device_count()) + " GPU(s)"
                                               : std::string("unavailable"));
  return s;
}

}  // namespace avtune
