#pragma once
// `avtune reproduce` on several processes (docs/reproduce.md, "On several processes"): N local
// workers (--nproc), one per GPU (--gpus), or the tasks of a Slurm step (srun), all sharing one study
// folder. Each worker walks the same queue and claims runs (study/work_claim.h); worker 0 also
// computes the diagnoses and writes results.json and the report.
#include <string>
#include <vector>

#include "avtune/study/study.h"

namespace avtune {

struct StudyWorker {
  int index = 0, count = 1, local_index = 0;
  std::string source = "single";  // single | launcher (--nproc/--gpus) | torchrun | slurm
};

// Who this process is among the workers, from the launcher's variables (dist/dist_env.h: RANK and
// WORLD_SIZE, which --nproc/--gpus and torchrun set, or srun's SLURM_PROCID and SLURM_NTASKS; a
// Slurm step of one task is a single worker). The variables are then removed from the environment:
// a study run trains in this one process, and run_training would otherwise join a process group.
StudyWorker take_study_worker_from_environment();

// The device of a worker: cuda:<gpus[local_index]> with --gpus; with several workers and an "auto" or
// "cuda" device on a CUDA machine, cuda:<local_index mod GPUs> (as training's LOCAL_RANK rule); else
// `device`. Throws avtune::Error when --gpus is given without CUDA or names a GPU that is not there.
std::string worker_device(const StudyOptions& o, const StudyWorker& w);

// Refuses --gpus without CUDA or with an index past the GPUs (avtune::Error naming the flag).
void check_study_gpus(const std::vector<int>& gpus);

// --nproc N or --gpus with 2+ ids in a process that is not itself a worker: removes the stages for
// --fresh once, starts the workers (this program with `argv`, --threads split between them, the
// resolved --out and --data), forwards their output prefixed "[rank k]", waits, and throws naming
// the first worker that failed. False (nothing started) when there is a single worker to run here.
// `threads` is the global --threads (0 = every core).
bool launch_study_workers(const StudyOptions& o, const std::vector<std::string>& argv, int threads);

// What --fresh removes: every stage folder and the cached fbank statistics.
void clear_study_stages(const std::string& out_dir);

}  // namespace avtune
