#pragma once
// Shared CLI plumbing: global options and the subcommand registry.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace avtune::cli {

struct GlobalOptions {
  int threads = 0;              // 0 = all cores
  std::string device = "auto";  // auto|cpu|cuda[:N]
  bool quiet = false;
  bool deterministic = false;   // cuDNN deterministic algorithms (util/runtime.h set_deterministic)
};

// Thrown by subcommands that are planned but not built yet; main exits 2.
struct NotBuilt : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Thrown when a command finished but not fully (e.g. some videos failed); main prints and exits `code`.
struct PartialFailure : std::runtime_error {
  PartialFailure(int c, const std::string& msg) : std::runtime_error(msg), code(c) {}
  int code;
};

// The command line main() received (the --nproc launcher re-runs it).
void set_command_line(int argc, char** argv);
const std::vector<std::string>& command_line();

// Every number flag of `app` and its subcommands refuses what no setting can mean: NaN or infinite
// floats, negative values for unsigned integers (strtoull would wrap -1 to 2^64-1). Usage errors.
void guard_number_flags(CLI::App& app);

// Applies --threads (called by each subcommand before it does work).
void apply_runtime(const GlobalOptions& g);

// prefix + local time as YYYYmmdd-HHMMSS + suffix, e.g. timestamped_dir("runs/", "-audio"): the
// default folder of a run or a study, so runs started at different times never share one.
std::string timestamped_dir(const std::string& prefix, const std::string& suffix);

void register_ckpt(CLI::App& app, GlobalOptions& g);
void register_bench(CLI::App& app, GlobalOptions& g);
void register_features(CLI::App& app, GlobalOptions& g);
void register_preprocess(CLI::App& app, GlobalOptions& g);
void register_make_data(CLI::App& app, GlobalOptions& g);
void register_train(CLI::App& app, GlobalOptions& g);
void register_eval(CLI::App& app, GlobalOptions& g);
void register_diagnose(CLI::App& app, GlobalOptions& g);
void register_fust(CLI::App& app, GlobalOptions& g);
void register_probe(CLI::App& app, GlobalOptions& g);
void register_reproduce(CLI::App& app, GlobalOptions& g);
void register_report(CLI::App& app, GlobalOptions& g);
void register_sweep(CLI::App& app, GlobalOptions& g);
void register_fbank_stats(CLI::App& app, GlobalOptions& g);
void register_predict(CLI::App& app, GlobalOptions& g);
void register_data(CLI::App& app, GlobalOptions& g);
void register_planned(CLI::App& app, GlobalOptions& g);
// Subcommands of a component this build lacks: each exits 2 naming the component and how to get it.
void register_missing(CLI::App& app, const std::vector<std::string>& names, const std::string& component,
                      const std::string& needs, const std::string& option);

}  // namespace avtune::cli
