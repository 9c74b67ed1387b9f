// avtune bench dist: samples/s of data-parallel training with 1..N local processes (one thread each
// unless --threads), the same launcher as `train --nproc`, and the scaling efficiency.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <torch/torch.h>

#include "avtune/dist/launcher.h"
#include "avtune/run/dist_bench.h"
#include "avtune/util/atomic_file.h"
#include "avtune/util/error.h"
#include "avtune/util/runtime.h"
#include "cli_common.h"

namespace avtune::cli {

namespace {
constexpr const char* kOutEnv = "AVTUNE_BENCH_DIST_OUT";  // set for the workers: rank 0's result file

struct DistBench {
  StepBenchConfig c;
  int nproc = 2;
  std::string backend = "auto";
};

void run_worker(const DistBench& b, const GlobalOptions& g, const std::string& out) {
  apply_runtime(g);
  const auto r = bench_data_parallel_step(b.c, resolve_device(g.device), b.backend);
  const char* rank = std::getenv("RANK");
  if (rank && std::string(rank) != "0") return;
  write_file_atomic(out, nlohmann::json{{"seconds_per_step", r.seconds_per_step},
                                        {"samples_per_second", r.samples_per_second},
                                        {"threads", torch::get_num_threads()}}
                             .dump());
}

void run_bench(const DistBench& b, const GlobalOptions& g) {
  const int threads = g.threads > 0 ? g.threads : 1;
  const auto device = resolve_device(g.device);
  std::printf("data-parallel step: batch %lld per process, audio (B,1,%lld,%lld), visual (B,3,%lld,%lld,%lld), resnet%d "
              "width %g, %s, %d thread(s) per process, backend %s\n",
              (long long)b.c.batch, (long long)b.c.audio_frames, (long long)b.c.mel_bins, (long long)b.c.clip_frames,
              (long long)b.c.image_size, (long long)b.c.image_size, b.c.depth, b.c.width, device.str().c_str(), threads,
              b.backend.c_str());
  const auto out = (std::filesystem::temp_directory_path() / ("avtune-bench-dist-" + std::to_string(::getpid()) + ".json")).string();
  std::vector<DistBenchRow> rows;
  for (int n = 1; n <= b.nproc; ++n) {
    LaunchOptions o;
    o.nproc = n;
    o.args = without_option(without_option(command_line(), "--threads"), "--nproc");
    o.args.insert(o.args.begin() + 1, {"--threads", std::to_string(threads)});
    o.env = {{kOutEnv, out}};
    std::filesystem::remove(out);
    const LaunchResult r = launch_local_workers(o);
    if (r.failed_rank >= 0) fail_msg("bench", r.describe());
    std::ifstream in(out);
    if (!in) fail("bench", "rank 0's result", "none", {out});
    const auto j = nlohmann::json::parse(in);
    std::filesystem::remove(out);
    rows.push_back({n, j["seconds_per_step"].get<double>(), j["samples_per_second"].get<double>(), 1});
  }
  fill_scaling_efficiency(rows);
  std::printf("%-10s %10s %12s %11s\n", "processes", "s/step", "samples/s", "efficiency");
  for (const auto& r : rows)
    std::printf("%-10d %10.3f %12.2f %10.0f%%\n", r.processes, r.seconds_per_step, r.samples_per_second, 100 * r.efficiency);
}
}  // namespace

void register_bench_dist(CLI::App* bench, GlobalOptions& g) {
  auto* cmd = bench->add_subcommand(
      "dist", "Data-parallel training step with 1..N local processes (--nproc launcher), samples/s and scaling efficiency");
  auto b = std::make_shared<DistBench>();
  StepBenchConfig& c = b->c;
  cmd->add_option("--nproc", b->nproc, "largest number of processes measured (1..N)")->capture_default_str()->check(CLI::Range(1, 64));
  cmd->add_option("--depth", c.depth, "ResNet depth 18|34")->capture_default_str();
  cmd->add_option("--width", c.width, "width multiplier")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--batch", c.batch, "batch size per process")->capture_default_str();
  cmd->add_option("--audio-frames", c.audio_frames, "fbank frames")->capture_default_str();
  cmd->add_option("--mel-bins", c.mel_bins, "mel bins")->capture_default_str();
  cmd->add_option("--clip-frames", c.clip_frames, "frames per clip (T)")->capture_default_str();
  cmd->add_option("--image-size", c.image_size, "frame height = width")->capture_default_str();
  cmd->add_option("--warmup", c.warmup, "untimed steps first")->capture_default_str();
  cmd->add_option("--steps", c.steps, "timed steps (rank 0's median reported)")->capture_default_str();
  cmd->add_option("--dist-backend", b->backend, "auto|gloo|nccl")->capture_default_str()->check(CLI::IsMember({"auto", "gloo", "nccl"}));
  cmd->callback([b, &g] {
    if (const char* out = std::getenv(kOutEnv)) return run_worker(*b, g, out);
    run_bench(*b, g);
  });
}

}  // namespace avtune::cli
