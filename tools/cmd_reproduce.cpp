// avtune reproduce: the paper's whole study on the embedded data, with a report (docs/reproduce.md).
#include <cstdio>
#include <memory>

#include "avtune/data/embedded_data.h"
#include "avtune/study/study.h"
#include "avtune/study/workers.h"
#include "cli_common.h"

namespace avtune::cli {

void register_reproduce(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("reproduce", "Run the paper's whole study on the embedded default data and write a report");
  auto o = std::make_shared<StudyOptions>();
  auto print_plan = std::make_shared<bool>(false);
  cmd->add_flag("--quick", o->quick, "smoke-test sizes (tiny data, 1-2 epochs; minutes)");
  cmd->add_flag("--full", o->full, "also Fusion Tuning's mean-mode arm (left out of the default for time; docs/reproduce.md)");
  cmd->add_option("--fust-setting", o->fust_setting,
                  "one more Fusion Tuning arm: a mask rule as JSON (avtune sweep's best.json)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--plan", *print_plan, "print the study's plan (every hyper-parameter and seed) as JSON and exit");
  cmd->add_option("--out", o->out_dir, "study folder (default runs/reproduce-<timestamp>; an existing one is reused)");
  cmd->add_option("--data", o->data_dir, "embedded data folder (default $AVTUNE_DATA or data/embedded; built when missing)");
  cmd->add_option("--seeds", o->seeds, "seeds per compared run")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--cross-seeds", o->cross_seeds,
                  "seeds of the cross-modal runs, whose arms differ least (default: --seeds + 2; --seeds with --quick)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-seeds", o->max_seeds,
                  "seeds an arm may reach when a comparison's 95% interval contains zero and could matter "
                  "(default: the larger of --seeds and --cross-seeds + 2, + 1 with --quick; docs/reproduce.md)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--fresh", o->fresh, "redo finished stages instead of reusing them");
  cmd->add_option("--workers", o->workers, "loader threads")->capture_default_str();
  cmd->add_option("--parallel", o->parallel,
                  "runs trained side by side, sharing --threads (0 = one per thread on CPU, 1 on a GPU)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  auto* nproc = cmd->add_option("--nproc", o->nproc,
                                "worker processes sharing the study, each claiming runs and taking over a dead one's; "
                                "--threads is split between them (under srun every task is a worker; docs/reproduce.md)")
                    ->check(CLI::Range(1, 4096));
  cmd->add_option("--gpus", o->gpus, "one worker per GPU, worker k on cuda:<k-th id> (comma-separated ids)")
      ->delimiter(',')
      ->check(CLI::NonNegativeNumber)
      ->excludes(nproc);
  cmd->add_option("--figure-format", o->figure_format,
                  "figures as PNG (embedded in report.html), plus an SVG or PDF beside each: png|svg|pdf")
      ->capture_default_str()
      ->check(CLI::IsMember({"png", "svg", "pdf"}));
  cmd->callback([o, print_plan, &g] {
    if (*print_plan) {  // no data, no training: what a run with these options would do
      std::printf("%s\n", to_json(study_plan(*o)).dump(2).c_str());
      return;
    }
    apply_runtime(g);
    StudyOptions opts = *o;
    opts.device = g.device;
    if (!opts.gpus.empty() && g.device != "auto")
      throw CLI::ValidationError("--gpus", "expected no --device beside it (each worker takes its GPU), got --device " + g.device);
    opts.quiet = g.quiet;
    if (opts.data_dir.empty()) opts.data_dir = default_data_dir() + (opts.quick ? "-quick" : "");
    if (opts.out_dir.empty()) opts.out_dir = timestamped_dir("runs/reproduce-", opts.quick ? "-quick" : "");
    if (launch_study_workers(opts, command_line(), g.threads)) {
      std::printf("study finished on %d workers\nreport: %s/report.md\n", opts.gpus.empty() ? opts.nproc : static_cast<int>(opts.gpus.size()),
                  opts.out_dir.c_str());
      return;
    }
    const auto r = run_study(opts);
    if (r.results_json.empty()) {  // a worker other than 0: worker 0 writes the report
      std::printf("worker %d of %d finished\n", r.worker, r.workers);
      return;
    }
    std::printf("study finished in %.1f min\nreport: %s\n        %s\nresults: %s\n", r.seconds / 60, r.report_md.c_str(),
                r.report_html.c_str(), r.results_json.c_str());
  });
}

}  // namespace avtune::cli
