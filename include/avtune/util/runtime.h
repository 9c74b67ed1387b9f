#pragma once
// Process-wide runtime settings: thread counts and device choice.
#include <c10/core/Device.h>

#include <string>

namespace avtune {

// Sets LibTorch's intra- and inter-op thread counts. n <= 0 means all cores.
// Returns the intra-op count in effect. Inter-op threads can only be set once per process.
int configure_threads(int n);

// Parses "auto", "cpu", "cuda", "cuda:N". "auto" picks CUDA when this LibTorch
// was built with it and a GPU is present. Throws avtune::Error when CUDA is asked for and missing.
c10::Device resolve_device(const std::string& spec);

// Human-readable summary: LibTorch version, threads, BLAS/OpenMP config, CUDA availability.
std::string runtime_summary();

}  // namespace avtune
