#include "avtune/dist/dist_env.h"

#include <algorithm>
#include <cstdlib>

#include "avtune/util/error.h"

namespace avtune {

namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

int env_int(const char* name, int fallback, int min) {
  const char* v = env(name);
  if (!v) return fallback;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (*end || x < min || x > 1 << 20)
    fail("dist", std::string(name) + " an integer >= " + std::to_string(min), std::string("'") + v + "'");
  return static_cast<int>(x);
}

}  // namespace

std::string first_slurm_host(const std::string& nodelist) {
  // Commas separate hosts except inside brackets; a bracket holds ranges of zero-padded numbers.
  std::string first;
  int depth = 0;
  for (char c : nodelist) {
    if (c == ',' && depth == 0) break;
    if (c == '[') ++depth;
    if (c == ']') --depth;
    first += c;
  }
  const auto lb = first.find('[');
  if (lb == std::string::npos) return first;
  std::string inner = first.substr(lb + 1, first.find(']') - lb - 1);
  inner = inner.substr(0, inner.find(','));
  inner = inner.substr(0, inner.find('-'));
  return first.substr(0, lb) + inner + first.substr(first.find(']') + 1);
}

DistEnv dist_env_from_environment() {
  DistEnv e;
  if (env("WORLD_SIZE") || env("RANK")) {
    e.source = "torchrun";
    e.world_size = env_int("WORLD_SIZE", 1, 1);
    e.rank = env_int("RANK", 0, 0);
    e.local_rank = env_int("LOCAL_RANK", e.rank, 0);
    e.local_world_size = env_int("LOCAL_WORLD_SIZE", e.world_size, 1);
    if (const char* a = env("MASTER_ADDR")) e.master_addr = a;
  } else if (env("SLURM_NTASKS") && env("SLURM_PROCID")) {
    e.source = "slurm";
    e.world_size = env_int("SLURM_NTASKS", 1, 1);
    e.rank = env_int("SLURM_PROCID", 0, 0);
    e.local_rank = env_int("SLURM_LOCALID", 0, 0);
    // SLURM_NTASKS_PER_NODE may read "2(x3)": its leading count is this node's.
    if (const char* n = env("SLURM_NTASKS_PER_NODE")) e.local_world_size = std::max(1, std::atoi(n));
    if (const char* a = env("MASTER_ADDR")) e.master_addr = a;
    else if (const char* l = env("SLURM_JOB_NODELIST")) e.master_addr = first_slurm_host(l);
  }
  e.master_port = env_int("MASTER_PORT", e.master_port, 1);
  if (e.master_port > 65535) fail("dist", "MASTER_PORT in 1..65535", std::to_string(e.master_port));
  if (e.rank >= e.world_size)
    fail("dist", "a rank below the world size " + std::to_string(e.world_size), std::to_string(e.rank));
  return e;
}

}  // namespace avtune
