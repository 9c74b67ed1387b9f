#pragma once
// A finished run's model judged on another split than the one it evaluated on while training: its
// last.pth on `split` of its own data. `avtune sweep` trains on val and asks for test only after its
// choice (study/sweep.h).
#include <string>

#include "avtune/train/train_config.h"

namespace avtune {

// Top-1 of <run.out_dir>/last.pth on `split`; cached in <run>/eval-<split>.json together with the
// checkpoint's size and time, so a changed checkpoint is evaluated again. Throws avtune::Error naming
// the run when it has no last.pth.
double run_split_top1(const TrainConfig& run, const std::string& split);

}  // namespace avtune
