#include "avtune/study/workers.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "avtune/dist/dist_env.h"
#include "avtune/dist/launcher.h"
#include "avtune/util/error.h"

namespace avtune {

namespace fs = std::filesystem;

namespace {

// Set by launch_study_workers for its workers: a worker with --nproc/--gpus is one of ours, not a
// user asking for a launcher under srun or torchrun.
constexpr const char* kLaunched = "AVTUNE_STUDY_WORKER";

std::string gpu_list(const std::vector<int>& gpus) {
  std::string s;
  for (int g : gpus) s += (s.empty() ? "" : ",") + std::to_string(g);
  return s;
}

// `args` without the bare flag `flag` (and `flag=VALUE`).
std::vector<std::string> without_flag(const std::vector<std::string>& args, const std::string& flag) {
  std::vector<std::string> out;
  for (const auto& a : args)
    if (a != flag && a.rfind(flag + "=", 0) != 0) out.push_back(a);
  return out;
}

}  // namespace

StudyWorker take_study_worker_from_environment() {
  const DistEnv env = dist_env_from_environment();
  StudyWorker w;
  w.index = env.rank;
  w.count = env.world_size;
  w.local_index = env.local_rank;
  w.source = !env.distributed() ? "single" : std::getenv(kLaunched) ? "launcher" : env.source;
  for (const char* v : {"RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT",
                        "SLURM_PROCID", "SLURM_NTASKS", kLaunched})
    ::unsetenv(v);
  return w;
}

void check_study_gpus(const std::vector<int>& gpus) {
  if (gpus.empty()) return;
  if (!torch::cuda::is_available())
    fail("reproduce", "CUDA for --gpus " + gpu_list(gpus),
         "none (this LibTorch reports torch::cuda::is_available() == false); leave --gpus out to train on the CPU");
  const int n = static_cast<int>(torch::cuda::device_count());
  for (int g : gpus)
    if (g < 0 || g >= n)
      fail("reproduce", "--gpus indices below " + std::to_string(n) + " (the GPUs this process sees)", gpu_list(gpus));
}

std::string worker_device(const StudyOptions& o, const StudyWorker& w) {
  if (!o.gpus.empty()) {
    check_study_gpus(o.gpus);
    return "cuda:" + std::to_string(o.gpus[static_cast<size_t>(w.local_index) % o.gpus.size()]);
  }
  if (w.count > 1 && (o.device == "auto" || o.device == "cuda") && torch::cuda::is_available())
    return "cuda:" + std::to_string(w.local_index % static_cast<int>(torch::cuda::device_count()));
  return o.device;
}

void clear_study_stages(const std::string& out_dir) {
  const fs::path out(out_dir);
  for (const char* sub : {"pretrain", "cross-modal", "joint", "fust", "figures"}) fs::remove_all(out / sub);
  for (const char* key : {"av-fashion", "spoken-words"}) fs::remove(out / ("fbank-stats-" + std::string(key) + ".json"));
}

bool launch_study_workers(const StudyOptions& o, const std::vector<std::string>& argv, int threads) {
  check_study_gpus(o.gpus);
  const int n = o.gpus.empty() ? o.nproc : static_cast<int>(o.gpus.size());
  if (n <= 1) return false;
  const DistEnv env = dist_env_from_environment();
  if (env.distributed()) {
    if (std::getenv(kLaunched)) return false;  // one of ours: this process is a worker
    fail("reproduce", "no --nproc/--gpus under a launcher (" + env.source + " already started " +
                          std::to_string(env.world_size) + " workers)",
         o.gpus.empty() ? "--nproc " + std::to_string(o.nproc) : "--gpus " + gpu_list(o.gpus));
  }
  if (o.out_dir.empty()) fail("reproduce", "an output folder", "none");
  if (o.fresh) clear_study_stages(o.out_dir);  // once, before any worker claims a run

  LaunchOptions l;
  l.nproc = n;
  l.env = {{kLaunched, "1"}};
  std::vector<std::string> args = argv;
  for (const char* opt : {"--threads", "--out", "--data"}) args = without_option(args, opt);
  args = without_flag(args, "--fresh");
  const int total = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  args.insert(args.begin() + 1, {"--threads", std::to_string(std::max(1, total / n))});
  args.insert(args.end(), {"--out", o.out_dir, "--data", o.data_dir});
  l.args = args;
  if (!o.quiet)
    std::fprintf(stderr, "avtune reproduce: %d workers%s, %d thread(s) each, sharing %s\n", n,
                 o.gpus.empty() ? "" : (" on GPUs " + gpu_list(o.gpus)).c_str(), std::max(1, total / n),
                 o.out_dir.c_str());
  const LaunchResult r = launch_local_workers(l);
  if (r.failed_rank >= 0)
    fail_msg("reproduce", "worker " + std::to_string(r.failed_rank) + " of " + std::to_string(n) + " failed (exit code " +
                              std::to_string(r.exit_code) + ")" + (r.last_error.empty() ? "" : ": " + r.last_error));
  return true;
}

}  // namespace avtune
