#include "cli_common.h"

#include <cstdio>

#include "avtune/util/runtime.h"

namespace avtune::cli {

void apply_runtime(const GlobalOptions& g) {
  const int n = configure_threads(g.threads);
  if (!g.quiet) std::fprintf(stderr, "avtune: %d thread(s)\n", n);
}

}  // namespace avtune::cli
