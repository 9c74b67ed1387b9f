// `avtune sweep` (study/sweep.h): the search's stages and the command around them.
#include "avtune/study/sweep.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>

#include "avtune/plot/run_figures.h"
#include "avtune/report/sweep_report.h"
#include "avtune/run/run_pool.h"
#include "avtune/study/fust_stage1.h"
#include "avtune/study/fust_stage2.h"
#include "avtune/study/pretraining.h"
#include "avtune/study/split_eval.h"
#include "avtune/study/work_claim.h"
#include "avtune/train/trainer.h"
#include "avtune/util/atomic_file.h"
#include "avtune/util/error.h"
#include "avtune/util/runtime.h"

namespace avtune {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json row_json(const SweepRow& r) {
  json masks = nullptr;
  if (r.masked)
    masks = {{"audio_masked", r.masks.audio_masked}, {"visual_masked", r.masks.visual_masked},
             {"mean_ratio_audio", r.masks.mean_audio}, {"mean_ratio_visual", r.masks.mean_visual}};
  return {{"key", r.key}, {"label", r.masked ? sweep_label(r.rule) : "no masks (joint baseline)"},
          {"masked", r.masked}, {"rule", r.masked ? to_json(r.rule) : json(nullptr)}, {"masks", masks},
          {"val_top1", r.val}, {"val", to_json(mean_std(r.val))}};
}

json arm_json(const std::vector<double>& test, const std::vector<double>& val) {
  return {{"test_top1", test}, {"test", to_json(mean_std(test))}, {"val_top1", val}, {"val", to_json(mean_std(val))}};
}

}  // namespace

json SweepResult::to_json(const SweepSpec& spec) const {
  json settings = json::array();
  for (const auto& r : rows) settings.push_back(row_json(r));
  const auto b = mean_std(test_best), z = mean_std(test_baseline);
  return {{"kind", "avtune-sweep/1"},
          {"search", spec.how},
          {"search_seeds", spec.search_seeds},
          {"test_seeds", spec.test_seeds},
          {"choice", "highest mean validation top-1 over the search seeds among the masked settings; equal means: "
                     "the smaller standard deviation, then the earlier setting; test is evaluated only after the choice"},
          {"settings", settings},
          {"best", row_json(rows.at(best))},
          {"test", {{"best", arm_json(test_best, val_best)}, {"baseline", arm_json(test_baseline, val_baseline)},
                    {"difference", b.mean - z.mean}}}};
}

SweepResult run_sweep_stages(const StudyPlan& p, const SweepSpec& spec, Scheduler& s, const StudyContext& c,
                             const fs::path& root, const std::vector<SampleConfidence>& confidences,
                             const SplitTop1& test_top1) {
  if (spec.search_seeds < 1) fail("sweep", "--search-seeds >= 1", std::to_string(spec.search_seeds));
  if (spec.test_seeds < 1) fail("sweep", "--test-seeds >= 1", std::to_string(spec.test_seeds));
  SweepResult res;
  SweepRow baseline;
  baseline.key = "baseline";
  baseline.masked = false;
  res.rows.push_back(baseline);
  std::set<std::string> seen;
  {
    StudyLock lock(c.out);  // mask files are shared by every process that runs the same sweep
    fs::create_directories(root / "masks");
    for (const auto& r : spec.settings) {
      SweepRow row;
      row.key = sweep_key(r);
      if (!seen.insert(row.key).second) continue;  // a random draw repeated
      row.rule = r;
      const auto ratios = mask_ratios(r, confidences);
      write_mask_ratios_csv((root / "masks" / (row.key + ".csv")).string(), confidences, ratios);
      row.masks = summarize(ratios);
      res.rows.push_back(row);
    }
  }
  // A stage-2 run as the study's (study/fust_stage2.h), evaluated on val while it trains.
  const auto make_run = [&](const SweepRow& row, int k) {
    auto cfg = fust_stage2_base(p, c, root, root / "search" / fmt::format("{}-seed{}", row.key, k), k,
                                row.masked ? (root / "masks" / (row.key + ".csv")).string() : "");
    cfg.data["eval_split"] = "val";
    return cfg;
  };
  s.stage("sweep: search", [&] {
    for (auto& row : res.rows) {
      row.val.clear();
      for (int k = 0; k < spec.search_seeds; ++k) row.val.push_back(s.cached(make_run(row, k)).last);
    }
  });
  res.best = pick_sweep_best(res.rows);  // val only: nothing below has been evaluated on test yet
  s.stage("sweep: test", [&] {
    res.test_best.clear();
    res.test_baseline.clear();
    res.val_best.clear();
    res.val_baseline.clear();
    std::vector<std::pair<size_t, TrainConfig>> runs;
    for (const size_t i : {res.best, size_t{0}})
      for (int k = 0; k < spec.test_seeds; ++k) {
        runs.emplace_back(i, make_run(res.rows[i], k));
        (i == 0 ? res.val_baseline : res.val_best).push_back(s.cached(runs.back().second).last);
      }
    if (s.pass_pending()) return;  // test is evaluated once, when every run of the phase is finished
    for (const auto& [i, cfg] : runs) (i == 0 ? res.test_baseline : res.test_best).push_back(test_top1(cfg));
  });
  res.done = true;
  return res;
}

namespace {

// Source models and fbank statistics of a finished study, copied into the sweep's folder once (the
// scheduler then finds them finished; a study of other sizes has them resumed to the plan's epochs).
void adopt_study(const fs::path& study, const fs::path& out, bool quiet) {
  if (!fs::exists(study / "pretrain"))
    fail("sweep", "--study to be an `avtune reproduce` folder with pretrain/", study.string());
  for (const std::string mod : {"visual", "audio"}) {
    const fs::path from = study / "pretrain" / mod, to = out / "pretrain" / mod;
    if (fs::exists(to / kRunCompleteMark)) continue;
    // Studies older than the completion mark have none: last.pth and metrics.jsonl are the test there.
    if (!fs::exists(from / RunFiles::kLast) || !fs::exists(from / RunFiles::kMetrics))
      fail("sweep", "a finished source model in " + from.string(), "no " + std::string(RunFiles::kLast));
    fs::create_directories(to);
    for (const auto& e : fs::directory_iterator(from))
      if (e.is_regular_file() && e.path().filename().string().rfind('.', 0) != 0)  // not the locks and marks
        fs::copy_file(e.path(), to / e.path().filename(), fs::copy_options::overwrite_existing);
    mark_run_complete(to.string());  // last: a copy cut short is copied again
    if (!quiet) std::fprintf(stderr, "avtune sweep: source model %s from %s\n", mod.c_str(), from.c_str());
  }
  for (const std::string key : {"av-fashion", "spoken-words"}) {
    const fs::path f = "fbank-stats-" + key + ".json";
    if (fs::exists(study / f) && !fs::exists(out / f)) fs::copy_file(study / f, out / f);
  }
}

}  // namespace

SweepFiles run_sweep(const SweepOptions& o) {
  if (o.out_dir.empty()) fail("sweep", "--out FOLDER", "none");
  if (o.parallel < 0) fail("sweep", "--parallel >= 0", std::to_string(o.parallel));
  const auto t0 = std::chrono::steady_clock::now();
  const StudyPlan p = make_plan(o.quick);
  SweepSpec spec;
  spec.search_seeds = o.search_seeds;
  spec.test_seeds = o.test_seeds;
  if (o.random > 0) {
    spec.settings = random_sweep_settings(o.random, o.random_seed);
    spec.how = fmt::format("random {} seed {}", o.random, o.random_seed);
  } else {
    spec.settings = enumerate_sweep_grid(parse_sweep_grid(o.grid));
    spec.how = "grid " + o.grid;
  }
  StudyContext ctx;
  ctx.out = o.out_dir;
  ctx.data_dir = o.data_dir;
  ctx.device = o.device;
  ctx.workers = o.workers;
  ctx.quiet = o.quiet;
  fs::create_directories(ctx.out);
  ensure_study_data(p, ctx);
  if (!o.study_dir.empty()) {
    StudyLock lock(ctx.out);
    adopt_study(o.study_dir, ctx.out, o.quiet);
  }
  study_fbank_stats(p, ctx);

  RunPoolOptions po = study_pool_options(o.parallel, o.device, o.quiet, "avtune sweep");
  const int planned = static_cast<int>(spec.settings.size() + 1) * spec.search_seeds +
                      2 * std::max(0, spec.test_seeds - spec.search_seeds);
  const bool quiet = o.quiet;
  Scheduler sched(
      [po, quiet, planned](std::vector<TrainConfig> jobs) {
        if (!quiet)
          std::fprintf(stderr, "avtune sweep: training %zu run(s) (the search plans %d stage-2 runs)\n", jobs.size(),
                       planned);
        run_pool(std::move(jobs), po);
      },
      true);
  if (!o.quiet)
    std::fprintf(stderr, "avtune sweep: %zu settings + the no-mask baseline, %d search seed(s), %d test seed(s)\n",
                 spec.settings.size(), spec.search_seeds, spec.test_seeds);
  sched.stage("pre-training", [&] { run_pretraining(p, sched, ctx); });
  FustStage1 stage1;
  sched.stage("stage 1", [&] { stage1 = run_fust_stage1(p, sched, ctx, ctx.out); });
  const auto res = run_sweep_stages(p, spec, sched, ctx, ctx.out, stage1.confidences,
                                    [](const TrainConfig& run) { return run_split_top1(run, "test"); });

  SweepFiles f;
  f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  f.runs_trained = sched.runs_trained();
  f.result = res.to_json(spec);
  f.result["stage1_top1"] = stage1.top1;
  f.result["seconds"] = f.seconds;
  f.result["runs_trained_now"] = f.runs_trained;
  f.result["quick"] = o.quick;
  f.result["stage2"] = {{"epochs", p.s2_epochs}, {"lr", p.ft_lr}, {"weight_decay", p.ft_wd}, {"batch", p.batch},
                        {"width", p.width}, {"seed_base", p.seed.fust_stage2}};
  f.json = (ctx.out / "sweep.json").string();
  f.best = (ctx.out / "best.json").string();
  write_file_atomic(f.json, f.result.dump(2) + "\n");
  write_file_atomic(f.best, to_json(res.rows.at(res.best).rule).dump(2) + "\n");
  const auto rep = write_sweep_report(ctx.out.string(), f.result);
  f.table = rep.table;
  f.figure = rep.figure;
  return f;
}

}  // namespace avtune
