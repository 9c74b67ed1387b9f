#pragma once
// Process-wide runtime settings: thread counts and device choice.
#include <c10/core/Device.h>

#include <mutex>
#include <string>

namespace avtune {

// Keeps large allocations mapped between training steps (glibc only; a no-op elsewhere). glibc serves every
// allocation above its mmap threshold (capped at 32 MiB) with a fresh mmap and unmaps it on free, so each
// activation-sized tensor at the paper's shapes page-faults anew on every step: at B=4, 1024x128 audio and 3x224^2
// frames that was about 1 M minor faults and over half of the step time. Serving them from the heap and never
// trimming it is what a caching allocator does: memory stays at the run's peak. AVTUNE_SYSTEM_MALLOC=1 opts out.
// Call first thing in main(), before large allocations. Returns whether the tuning is in effect.
bool tune_allocator();

// Sets LibTorch's intra- and inter-op thread counts. n <= 0 means all cores.
// Returns the intra-op count in effect. Inter-op threads can only be set once per process.
int configure_threads(int n);

// Held while seeding LibTorch's global CPU generator and drawing from it (model construction and
// initialisation, restoring a checkpoint's RNG state), so runs trained side by side in one process each
// get exactly the weights their seed gives. Data augmentation uses per-sample generators and needs no lock.
std::mutex& global_rng_mutex();

// Deterministic GPU algorithms (the global --deterministic): cuDNN's deterministic convolutions, no
// cuDNN autotuning, LibTorch's deterministic-algorithms switch (warn-only where an op has none) and
// cuBLAS's fixed workspace (CUBLAS_WORKSPACE_CONFIG, read when cuBLAS starts). CPU runs already are.
void set_deterministic(bool on);

// Parses "auto", "cpu", "cuda", "cuda:N". "auto" picks CUDA when this LibTorch
// was built with it and a GPU is present. Throws avtune::Error when CUDA is asked for and missing.
c10::Device resolve_device(const std::string& spec);

// Human-readable summary: LibTorch version, threads, BLAS/OpenMP config, CUDA availability.
std::string runtime_summary();

}  // namespace avtune
