#pragma once
// Where this process stands in a multi-process run, read from the launcher's environment: torchrun
// (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), Slurm's srun
// (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, the first host of SLURM_JOB_NODELIST) or none
// (one process). Conventions: docs/distributed.md.
#include <string>

namespace avtune {

struct DistEnv {
  int rank = 0, world_size = 1, local_rank = 0, local_world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string source = "single";  // single|torchrun|slurm
  bool distributed() const { return world_size > 1; }
};

// Reads the environment; torchrun's variables win over Slurm's. Malformed values throw avtune::Error.
DistEnv dist_env_from_environment();

// The first host of a Slurm node list: "node[03-05,9],gpu1" -> "node03", "a,b" -> "a".
std::string first_slurm_host(const std::string& nodelist);

}  // namespace avtune
