#include "avtune/study/study.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "avtune/plot/chart.h"
#include "avtune/report/study_report.h"
#include "avtune/report/verdicts.h"
#include "avtune/plot/run_figures.h"
#include "avtune/run/run_pool.h"
#include "avtune/study/cross_modal.h"
#include "avtune/study/diagnosis.h"
#include "avtune/study/fusion_tuning.h"
#include "avtune/study/joint.h"
#include "avtune/study/pretraining.h"
#include "avtune/study/split_eval.h"
#include "avtune/study/sweep.h"
#include "avtune/study/work_claim.h"
#include "avtune/study/workers.h"
#include "avtune/util/atomic_file.h"
#include "avtune/util/error.h"
#include "avtune/util/runtime.h"

namespace avtune {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The embedded data, built when missing (ensure_study_data); its build time in the results.
void build_data(const StudyPlan& p, const StudyOptions& o, const StudyContext& c, json& results) {
  const double seconds = ensure_study_data(p, c);
  if (seconds >= 0) results["data_build_seconds"] = seconds;
  else if (!o.quiet) std::fprintf(stderr, "avtune reproduce: using the data in %s\n", o.data_dir.c_str());
  results["data_dir"] = o.data_dir;
}

}  // namespace

StudyPlan study_plan(const StudyOptions& opts) {
  StudyPlan p = make_plan(opts.quick);
  set_seeds(p, opts.seeds, opts.cross_seeds, opts.max_seeds);
  // The mean-mode arm lands on the baseline (docs/reproduce.md): --full only, to keep the default study
  // short beside the balancing arms (issue 19). Its runs keep their folders (key "3").
  if (!opts.full)
    p.arms.erase(std::remove_if(p.arms.begin(), p.arms.end(), [](const FusionArm& a) { return a.rule.mean_mode; }),
                 p.arms.end());
  if (!opts.fust_setting.empty()) {
    std::ifstream in(opts.fust_setting);
    if (!in) fail("reproduce", "--fust-setting FILE: a mask rule as JSON (avtune sweep's best.json)", "cannot read it",
                  {opts.fust_setting});
    const json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object())
      fail("reproduce", "--fust-setting FILE: a JSON object (avtune sweep's best.json)", "other content", {opts.fust_setting});
    FusionArm a;
    a.rule = mask_rule_from_json(j, opts.fust_setting);
    a.masked = true;
    a.key = "setting-" + sweep_key(a.rule);  // its own run folders and mask file
    a.name = "FusT, setting from " + fs::path(opts.fust_setting).filename().string() + " (" + sweep_label(a.rule) + ")";
    a.file = "ratios-" + a.key + ".csv";
    p.arms.push_back(std::move(a));
  }
  return p;
}

StudyResult run_study(const StudyOptions& o) {
  if (o.out_dir.empty()) fail("reproduce", "an output folder", "none");
  if (o.parallel < 0) fail("reproduce", "--parallel >= 0", std::to_string(o.parallel));
  const StudyPlan plan = study_plan(o);
  const StudyWorker worker = take_study_worker_from_environment();
  // Clearing the stages needs one process before any claims: --nproc/--gpus do it before starting.
  if (o.fresh && worker.count > 1)
    fail("reproduce", "--fresh on a single worker (" + worker.source + " started " + std::to_string(worker.count) + ")",
         "--fresh on worker " + std::to_string(worker.index) + "; run it once without srun/torchrun, or use a new --out");
  const FigureFormat format = parse_figure_format(o.figure_format);
  const auto t0 = std::chrono::steady_clock::now();
  StudyContext ctx;
  ctx.out = o.out_dir;
  ctx.data_dir = o.data_dir;
  ctx.device = worker_device(o, worker);
  ctx.workers = o.workers;
  ctx.quiet = o.quiet;
  ctx.results = worker.index == 0;
  if (o.fresh) clear_study_stages(o.out_dir);
  fs::create_directories(ctx.out / "figures");

  RunPoolOptions po = study_pool_options(o.parallel, ctx.device, o.quiet, "avtune reproduce");
  // Every pass's runs are claimed one by one (study/work_claim.h), so any number of workers may share
  // the study; alone, a worker claims them all.
  const SharedPassOptions so{worker.index, 0.5, o.quiet};
  const ClaimingTrainer pool = [po](const std::vector<TrainConfig>& jobs, const ClaimHook& claim) {
    RunPoolOptions p = po;
    p.claim = claim;
    run_pool(jobs, p);
  };
  Scheduler sched([pool, so](std::vector<TrainConfig> jobs) { train_pass_shared(std::move(jobs), pool, so); }, o.quiet);
  // Fusion Tuning's best setting is chosen on the validation split (study/fust_stage2.h).
  sched.set_evaluator([](const TrainConfig& run, const std::string& split) { return run_split_top1(run, split); });

  json results = json::object();
  // Each stage body runs once per pass; the last pass (nothing pending) leaves the final numbers.
  sched.stage("data", [&] { build_data(plan, o, ctx, results); });
  sched.stage("fbank statistics", [&] { results["fbank_stats"] = study_fbank_stats(plan, ctx, o.fresh); });
  sched.stage("pre-training", [&] { results["pretrain"] = run_pretraining(plan, sched, ctx).to_json(); });
  sched.stage("diagnosis", [&] {
    if (!ctx.results) return;  // worker 0's numbers; the diagnosis writes no file
    const json d = diagnose_sources(plan, ctx).to_json();
    for (auto it = d.begin(); it != d.end(); ++it) results["diagnosis"][it.key()] = it.value();
  });
  sched.stage("cross-modal initialisation", [&] {
    const auto r = run_cross_modal(plan, sched, ctx);
    results["cross_modal"] = r.to_json();
    const json d = r.diagnosis_json();
    for (auto it = d.begin(); it != d.end(); ++it) results["diagnosis"][it.key()] = it.value();
  });
  sched.stage("joint learning", [&] { results["joint"] = run_joint(plan, sched, ctx).to_json(); });
  sched.stage("fusion tuning", [&] {
    const auto r = run_fusion_tuning(plan, sched, ctx);
    if (r.stage1_done) results["fust"] = r.to_json();
  });

  StudyResult r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.worker = worker.index;
  r.workers = worker.count;
  if (!ctx.results) return r;  // every run is finished; worker 0 writes results.json and the report
  results["kind"] = kStudyResultsKind;
  results["seconds"] = r.seconds;
  results["runs_trained_now"] = sched.runs_trained();
  results["runs_total"] = sched.runs_total();
  results["quick"] = o.quick;
  results["parallel_runs"] = {{"parallel", po.parallel}, {"threads_per_run", po.threads_per_run}, {"workers", worker.count}};
  results["seeds"] = plan.seeds;
  results["cross_seeds"] = plan.cross_seeds;
  results["max_seeds"] = plan.max_seeds;
  // Every comparison a verdict rests on, with its 95% Welch interval and seeds per arm (docs/report.md).
  results["findings"] = json::array();
  for (const auto& f : study_findings(results, plan.min_effect)) results["findings"].push_back(f.to_json());
  results["plan"] = to_json(plan);
  results["stage_seconds"] = json::array();
  for (const auto& [name, s] : sched.stage_seconds()) results["stage_seconds"].push_back({name, s});
  r.results_json = (ctx.out / "results.json").string();
  write_file_atomic(r.results_json, results.dump(2) + "\n");
  const auto rep = write_study_report(ctx.out.string(), results, format);
  r.report_md = rep.markdown;
  r.report_html = rep.html;
  return r;
}

}  // namespace avtune
