#pragma once
// `--nproc N`: starts N local workers of this very program (torchrun's environment set for each:
// RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1, a free MASTER_PORT),
// forwards their output line by line with a "[rank k] " prefix and waits. When one fails, the others
// get SIGTERM, then SIGKILL after a grace period (docs/distributed.md).
#include <string>
#include <vector>

namespace avtune {

struct LaunchOptions {
  int nproc = 2;
  std::string program = "/proc/self/exe";
  std::vector<std::string> args;  // argv of each worker, argv[0] included
  double grace_s = 10;            // after the first failure, before SIGKILL
  std::vector<std::pair<std::string, std::string>> env;  // extra variables for every worker
};

struct LaunchResult {
  int exit_code = 0;     // 0, or the failing worker's (128 + signal when killed)
  int failed_rank = -1;  // the first worker that failed, -1 when none did
  std::string last_error;  // the failing worker's last stderr line
  std::string describe() const;  // "rank 1 failed (exit code 1): <its last error line>"
};

LaunchResult launch_local_workers(const LaunchOptions& opts);

// A TCP port on 127.0.0.1 free at the time of the call (the kernel picks it).
int free_local_port();

// `args` without `--nproc N` / `--nproc=N` (the workers' command line).
std::vector<std::string> without_option(const std::vector<std::string>& args, const std::string& option);

}  // namespace avtune
