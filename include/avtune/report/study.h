#pragma once
// `avtune reproduce`: the paper's whole study at small scale on the embedded default data, in cached,
// resumable stages (each training run is a run directory; a finished one is read back, an
// interrupted one resumed), ending in report.md, a self-contained report.html and results.json.
#include <string>

namespace avtune {

struct StudyOptions {
  std::string out_dir;   // the study's folder (stages under it)
  std::string data_dir;  // the embedded data (built when missing)
  bool quick = false;    // smoke-test sizes: tiny data, 1-2 epochs
  int seeds = 3;         // seeds of every compared fine-tuning run
  int cross_seeds = 0;   // seeds of the cross-modal runs, whose arms differ least (0 = seeds + 2; seeds when quick)
  bool fresh = false;    // redo finished stages
  std::string device = "auto";
  int workers = 2;
  int parallel = 0;         // runs trained side by side (run_pool), sharing the intra-op threads
                            // (0 = one run per thread on CPU, one at a time on a GPU)
  bool quiet = false;
};

struct StudyResult {
  std::string report_md, report_html, results_json;
  double seconds = 0;
};

StudyResult run_study(const StudyOptions& opts);

}  // namespace avtune
