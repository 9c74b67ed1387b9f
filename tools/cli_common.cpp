#include "cli_common.h"

#include <cstdio>
#include <ctime>

#include "avtune/util/runtime.h"

namespace avtune::cli {

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
