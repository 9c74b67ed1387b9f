#pragma once
// The process group of a data-parallel run on PyTorch's c10d: TCPStore rendezvous at MASTER_ADDR:
// MASTER_PORT, then Gloo (CPU) or NCCL (CUDA, when this LibTorch has it). c10d stays out of this
// header; the collectives here are what the engine needs. Conventions: docs/distributed.md.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "avtune/dist/dist_env.h"

namespace avtune {

struct DistOptions {
  std::string backend = "auto";  // auto (NCCL on CUDA when built with it, else Gloo) | gloo | nccl
  double timeout_s = 300;        // rendezvous: every peer must arrive within it
  bool cuda = false;             // the run's tensors live on CUDA
};

class DistGroup {
 public:
  // Joins the group `env` describes; throws avtune::Error naming the address, the peers that
  // arrived and the timeout when the others do not arrive in time.
  DistGroup(const DistEnv& env, const DistOptions& opts);
  ~DistGroup();
  DistGroup(const DistGroup&) = delete;
  DistGroup& operator=(const DistGroup&) = delete;

  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  int local_rank() const { return env_.local_rank; }
  bool is_main() const { return env_.rank == 0; }
  const std::string& backend() const { return backend_; }
  const DistEnv& env() const { return env_; }

  // In place, summed over the ranks.
  void all_reduce_sum(std::vector<torch::Tensor>& tensors);
  double all_reduce_sum(double x);
  // In place, rank `root`'s values everywhere.
  void broadcast(std::vector<torch::Tensor>& tensors, int root = 0);
  // Every rank's rows (n_r, ...) concatenated in rank order; the n_r may differ between ranks.
  torch::Tensor all_gather_rows(const torch::Tensor& rows);
  void barrier();

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  DistEnv env_;
  std::string backend_;
  std::unique_ptr<Impl> impl_;
};

// The group of this process: null in a single-process run (the engine's default path).
std::shared_ptr<DistGroup> current_dist_group();
// Joins the group the environment describes once per process and makes it current; null (and no
// group) when the environment names a single process. Later calls return the same group.
std::shared_ptr<DistGroup> init_distributed(const DistOptions& opts);

}  // namespace avtune
