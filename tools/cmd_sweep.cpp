// avtune sweep: Fusion Tuning's tau, eta, rho and mask rule searched on validation, the choice then
// reported on test (docs/fusion_tuning.md, "Searching τ, η, ρ").
#include <cstdio>
#include <memory>

#include "avtune/data/embedded_data.h"
#include "avtune/study/sweep.h"
#include "avtune/util/error.h"
#include "cli_common.h"

namespace avtune::cli {

void register_sweep(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("sweep", "Search Fusion Tuning's tau/eta/rho and mask rule on validation, report the best on test");
  auto o = std::make_shared<SweepOptions>();
  cmd->add_option("--out", o->out_dir, "sweep folder (default runs/sweep-<timestamp>; an existing one is resumed)");
  cmd->add_option("--data", o->data_dir, "embedded data folder (default $AVTUNE_DATA or data/embedded; built when missing)");
  cmd->add_option("--study", o->study_dir, "reuse the source models of this finished `avtune reproduce` folder");
  auto* grid = cmd->add_option("--grid", o->grid, "grid as key=v1,v2;... (keys rule, mean, tau, eta, eta_a, eta_v, rho, rho_a, rho_v)")
                   ->capture_default_str();
  auto* random = cmd->add_option("--random", o->random, "N random settings instead of the grid")->check(CLI::PositiveNumber)->excludes(grid);
  cmd->add_option("--seed", o->random_seed, "seed of --random's draws")->needs(random);
  cmd->add_option("--search-seeds", o->search_seeds, "seeds per setting in the search")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--test-seeds", o->test_seeds, "seeds of the chosen setting and the baseline on test")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--quick", o->quick, "smoke-test sizes (tiny data, 1-2 epochs)");
  cmd->add_option("--workers", o->workers, "loader threads")->capture_default_str();
  cmd->add_option("--parallel", o->parallel, "runs trained side by side, sharing --threads (0 = one per thread on CPU)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->callback([o, &g] {
    SweepOptions opts = *o;
    try {
      if (opts.random == 0) (void)enumerate_sweep_grid(parse_sweep_grid(opts.grid));
    } catch (const Error& e) {
      throw CLI::ValidationError("--grid", e.what());
    }
    apply_runtime(g);
    opts.device = g.device;
    opts.quiet = g.quiet;
    if (opts.data_dir.empty()) opts.data_dir = default_data_dir() + (opts.quick ? "-quick" : "");
    if (opts.out_dir.empty()) opts.out_dir = timestamped_dir("runs/sweep-", opts.quick ? "-quick" : "");
    const auto r = run_sweep(opts);
    const auto& best = r.result.at("best");
    const auto& t = r.result.at("test");
    std::printf("sweep finished in %.1f min (%d runs trained now)\nchosen on val: %s (val top-1 %.1f%%)\n",
                r.seconds / 60, r.runs_trained, best.at("label").get<std::string>().c_str(),
                100 * best.at("val").at("mean").get<double>());
    std::printf("test top-1: chosen %.1f%%, no-mask baseline %.1f%%\n", 100 * t.at("best").at("test").at("mean").get<double>(),
                100 * t.at("baseline").at("test").at("mean").get<double>());
    std::printf("table: %s\nfigure: %s\nresults: %s\nbest setting: %s\n", r.table.c_str(), r.figure.c_str(),
                r.json.c_str(), r.best.c_str());
  });
}

}  // namespace avtune::cli
