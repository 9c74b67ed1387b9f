#pragma once
// `avtune reproduce`: the paper's whole study at small scale on the embedded default data, in cached,
// resumable stages (study/scheduler.h), ending in results.json and the report rendered from it
// (report/study_report.h). The plan (study/plan.h) fixes every hyper-parameter and seed; docs/reproduce.md.
#include <string>
#include <vector>

#include "avtune/study/plan.h"

namespace avtune {

struct StudyOptions {
  std::string out_dir;   // the study's folder (stages under it)
  std::string data_dir;  // the embedded data (built when missing)
  bool quick = false;    // smoke-test sizes: tiny data, 1-2 epochs
  bool full = false;     // every Fusion Tuning arm: also the mean-mode arm, which the default leaves out (time)
  std::string fust_setting;  // a mask rule as JSON (`avtune sweep`'s best.json): one more Fusion Tuning arm
  int seeds = 3;         // seeds of every compared fine-tuning run
  int cross_seeds = 0;   // seeds of the cross-modal runs, whose arms differ least (0 = seeds + 2; seeds when quick)
  int max_seeds = 0;     // cap of the seeds added where the doubt is (0 = the plan's default; study/plan.h)
  bool fresh = false;    // redo finished stages
  std::string device = "auto";
  int workers = 2;
  int parallel = 0;         // runs trained side by side (run_pool), sharing the intra-op threads
                            // (0 = one run per thread on CPU, one at a time on a GPU)
  int nproc = 1;            // local worker processes sharing the study (study/workers.h)
  std::vector<int> gpus;    // one worker per listed GPU (study/workers.h)
  std::string figure_format = "svg";  // png|svg|pdf: figures as PNG, plus that vector file beside each
  bool quiet = false;
};

struct StudyResult {
  std::string report_md, report_html, results_json;  // empty on workers but 0, which only train
  double seconds = 0;
  int worker = 0, workers = 1;
};

// The plan the options ask for (make_plan with the options' seeds; without `full`, no mean-mode arm; with
// `fust_setting`, that rule as a last Fusion Tuning arm, a candidate of the best-on-validation row).
// Throws avtune::Error naming --fust-setting and the file when it cannot be read.
StudyPlan study_plan(const StudyOptions& opts);

StudyResult run_study(const StudyOptions& opts);

}  // namespace avtune
