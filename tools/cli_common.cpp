#include "cli_common.h"

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

void apply_runtime(const GlobalOptions& g) {
  const int n = configure_threads(g.threads);
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
