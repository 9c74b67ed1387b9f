#pragma once
// `avtune bench dist`: data-parallel training throughput. The same audio-visual training step as
// `bench model` (run/throughput.h), run by 1..N local processes of the `--nproc` launcher, each with
// its own batch (DDP's per-process convention), gradients averaged by the engine's GradientAverager.
// Scaling efficiency = samples/s of N processes / (N x samples/s of one). docs/distributed.md.
#include <c10/core/Device.h>

#include <string>
#include <vector>

#include "avtune/run/throughput.h"

namespace avtune {

struct DistBenchRow {
  int processes = 1;
  double seconds_per_step = 0;     // rank 0's median step
  double samples_per_second = 0;   // all processes together
  double efficiency = 1;           // samples_per_second / (processes x the 1-process figure)
};

// Worker side, in a process started by launch_local_workers: joins the group the environment names
// (none for one process), times the step and returns rank 0's figures (others: seconds only).
StepBenchResult bench_data_parallel_step(const StepBenchConfig& cfg, const c10::Device& device, const std::string& backend);

// Efficiency of each row against the first (1 process).
void fill_scaling_efficiency(std::vector<DistBenchRow>& rows);

}  // namespace avtune
