#pragma once
// Trains independent runs side by side in one process. At the small shapes of the embedded study a
// run uses two cores poorly (a 16-channel ResNet-18 step is 1.5x faster on 2 threads than on 1), so
// two runs on one thread each finish sooner than the same runs one after another on two threads.
// Runs share the process-wide fbank and frame caches.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "avtune/run/training_run.h"
#include "avtune/train/train_config.h"

namespace avtune {

struct RunPoolOptions {
  int parallel = 1;         // runs at a time; 1 = one after another in the calling thread
  int threads_per_run = 1;  // intra-op threads of each run when parallel > 1
  bool quiet = false;       // no per-run lines on stderr
  std::string label = "avtune";  // prefix of the progress lines
  // Called after each successful run, from the thread that trained it (e.g. to draw its figures);
  // an exception it throws counts as the run's failure.
  std::function<void(const TrainConfig&, const RunOutcome&)> after_run;
  // Called by the thread about to train a job (study/work_claim.h): null skips the job (another
  // process has it); otherwise the job, as the hook may have changed it, is trained and after_run
  // called while the returned token is held. Unset: every job is trained.
  std::function<std::shared_ptr<void>(TrainConfig&)> claim;
};

// Trains every job (run_training); with parallel > 1 the jobs' own progress bars are turned off and one
// line per finished run (with an ETA) is printed instead. Every job runs even when another fails; the
// first failure is then rethrown, naming its run directory. Each run's result depends only on its
// configuration and its thread count, not on what runs beside it.
void run_pool(std::vector<TrainConfig> jobs, const RunPoolOptions& opts);

}  // namespace avtune
