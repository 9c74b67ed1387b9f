// Subcommands that later issues fill in. Each says so and exits 2, never a fake success.
#include "cli_common.h"

namespace avtune::cli {

void register_planned(CLI::App& app, GlobalOptions&) {
  struct Planned {
    const char* name;
    const char* what;
  };
  static const Planned planned[] = {
      {"predict", "Predict classes for audio/visual files (not built yet)"},
  };
  for (const auto& p : planned) {
    auto* sub = app.add_subcommand(p.name, p.what);
    sub->allow_extras();
    sub->fallthrough(false);  // keep their options here, so any arguments reach the "not built" message
    const std::string name = p.name;
    sub->callback([name] { throw NotBuilt("'" + name + "' is planned but not built yet in this version"); });
  }
}

}  // namespace avtune::cli
