#pragma once
// Shared CLI plumbing: global options and the subcommand registry.
#include <CLI/CLI.hpp>

#include <string>

namespace avtune::cli {

struct GlobalOptions {
  int threads = 0;              // 0 = all cores
  std::string device = "auto";  // auto|cpu|cuda[:N]
  bool quiet = false;
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

// Applies --threads (called by each subcommand before it does work).
void apply_runtime(const GlobalOptions& g);

void register_ckpt(CLI::App& app, GlobalOptions& g);
void register_bench(CLI::App& app, GlobalOptions& g);
void register_features(CLI::App& app, GlobalOptions& g);
void register_preprocess(CLI::App& app, GlobalOptions& g);
void register_make_data(CLI::App& app, GlobalOptions& g);
void register_train(CLI::App& app, GlobalOptions& g);
void register_diagnose(CLI::App& app, GlobalOptions& g);
void register_fust(CLI::App& app, GlobalOptions& g);
void register_probe(CLI::App& app, GlobalOptions& g);
void register_reproduce(CLI::App& app, GlobalOptions& g);
void register_fbank_stats(CLI::App& app, GlobalOptions& g);
void register_planned(CLI::App& app, GlobalOptions& g);

}  // namespace avtune::cli
