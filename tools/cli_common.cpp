#include "cli_common.h"

#include <cmath>
#include <cstdio>
#include <ctime>

#include "avtune/util/runtime.h"

namespace avtune::cli {

namespace {
std::vector<std::string>& saved_command_line() {
  static std::vector<std::string> args;
  return args;
}
}  // namespace

void set_command_line(int argc, char** argv) { saved_command_line().assign(argv, argv + argc); }
const std::vector<std::string>& command_line() { return saved_command_line(); }

void guard_number_flags(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    const std::string type = opt->get_type_name();
    if (type.rfind("FLOAT", 0) == 0)
      opt->check(CLI::Validator(
          [](std::string& text) -> std::string {
            long double v = 0;
            if (!CLI::detail::lexical_cast(text, v)) return "";  // CLI11's conversion reports it
            return std::isfinite(v) ? "" : "expected a finite number, got " + text;
          },
          "", "finite"));
    else if (type.rfind("UINT", 0) == 0)
      opt->check(CLI::Validator(
          [](std::string& text) -> std::string {
            return text.find('-') == std::string::npos ? "" : "expected a non-negative integer, got " + text;
          },
          "", "unsigned"));
  }
  for (CLI::App* sub : app.get_subcommands({})) guard_number_flags(*sub);
}

void apply_runtime(const GlobalOptions& g) {
  const int n = configure_threads(g.threads);
  if (g.deterministic) set_deterministic(true);
  if (!g.quiet) std::fprintf(stderr, "avtune: %d thread(s)\n", n);
}

std::string timestamped_dir(const std::string& prefix, const std::string& suffix) {
  const std::time_t t = std::time(nullptr);
  std::tm local{};
  localtime_r(&t, &local);  // thread-safe, unlike std::localtime
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &local);
  return prefix + buf + suffix;
}

}  // namespace avtune::cli
