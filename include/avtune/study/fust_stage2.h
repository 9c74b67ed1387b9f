#pragma once
// Fusion Tuning's stage 2 in the study (docs/reproduce.md, "Fusion Tuning"): every arm of the plan — the
// unmasked joint baseline, the mask rules, the modality-balancing methods (OGM-GE, OPM, UMT; docs/
// balancing.md) — trained from both stage-1 encoders over seeds, each with linear probes of both
// encoders. Then the FusT arm with the best mean *validation* top-1 is picked (the test split is never
// looked at for the choice) and reported on test beside the baseline. Seeds are added where a
// comparison with the baseline is in doubt (study/adaptive_seeds.h).
#include <filesystem>
#include <string>
#include <vector>

#include "avtune/study/context.h"
#include "avtune/study/fusion_tuning.h"
#include "avtune/study/scheduler.h"
#include "avtune/train/train_config.h"

namespace avtune {

// A stage-2 run at `dir`, seed k: both encoders from stage 1's last.pth under `root`, the plan's
// fine-tuning settings, `mask_file` (empty: no masks). `avtune sweep` trains its settings with it.
TrainConfig fust_stage2_base(const StudyPlan& p, const StudyContext& c, const std::filesystem::path& root,
                             const std::filesystem::path& dir, int k, const std::string& mask_file);

// The configuration of arm `i`'s seed `k`: <root>/stage2-<key>-seed<k>, both encoders from stage 1's
// last.pth, `mask_file` (empty: none) and the arm's engine keys (a balancing method; UMT's teachers
// default to the stage-1 encoders).
TrainConfig fust_stage2_run(const StudyPlan& p, const StudyContext& c, const std::filesystem::path& root, size_t i,
                            int k, const std::string& mask_file);

// The arms the best-on-validation row is chosen among: Fusion Tuning's masked arms without a balancing method.
std::vector<size_t> fust_val_candidates(const StudyPlan& p);
// The candidate whose validation values (per seed) have the highest mean; ties go to the earlier arm;
// -1 when no candidate has a finite mean.
int best_on_validation(const std::vector<size_t>& candidates, const std::vector<std::vector<double>>& val);

// Trains (through `s`) and reads back every arm, filling res.arms (one per plan arm: name, key, method
// and numbers; the mask summaries are the caller's) and res.best_val. `mask_paths[i]` is arm i's ratio file (empty: no masks).
void run_fust_stage2(const StudyPlan& p, Scheduler& s, const StudyContext& c, const std::filesystem::path& root,
                     const std::vector<std::string>& mask_paths, FusionTuningResult& res);

}  // namespace avtune
