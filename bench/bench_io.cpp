// Weight-file I/O throughput for a full-size ResNet-18 (45 MB): .pth and .safetensors, save and load.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "avtune/io/weights_file.h"
#include "avtune/models/resnet.h"

namespace {

const avtune::StateDict& weights() {
  static avtune::StateDict sd = avtune::state_dict_of(*avtune::ResNetEncoder(avtune::ResNetConfig{18, 3, 1.0}));
  return sd;
}

std::string tmp(const char* ext) {
  return (std::filesystem::temp_directory_path() / (std::string("avtune-bench-io") + ext)).string();
}

void set_bytes(benchmark::State& st) {
  int64_t bytes = 0;
  for (const auto& [k, t] : weights().entries()) bytes += t.numel() * t.element_size();
  st.SetBytesProcessed(st.iterations() * bytes);
}

void BM_SaveWeights(benchmark::State& st, const char* ext) {
  const auto p = tmp(ext);
  for (auto _ : st) avtune::save_weights(p, weights());
  set_bytes(st);
  std::filesystem::remove(p);
}

void BM_LoadWeights(benchmark::State& st, const char* ext) {
  const auto p = tmp(ext);
  avtune::save_weights(p, weights());
  for (auto _ : st) benchmark::DoNotOptimize(avtune::load_weights(p));
  set_bytes(st);
  std::filesystem::remove(p);
}

BENCHMARK_CAPTURE(BM_SaveWeights, pth, ".pth")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SaveWeights, safetensors, ".safetensors")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_LoadWeights, pth, ".pth")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_LoadWeights, safetensors, ".safetensors")->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
