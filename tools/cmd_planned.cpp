// Subcommands that later issues fill in, and those this build lacks (a component switched off at
// configure time). Each says so and exits 2, never a fake success.
#include <vector>

#include "cli_common.h"

namespace avtune::cli {

void register_planned(CLI::App& app, GlobalOptions&) {
  struct Planned {
    const char* name;
    const char* what;
  };
  static const std::vector<Planned> planned = {};  // none at present
  for (const auto& p : planned) {
    auto* sub = app.add_subcommand(p.name, p.what);
    sub->allow_extras();
    sub->fallthrough(false);  // keep their options here, so any arguments reach the "not built" message
    const std::string name = p.name;
    sub->callback([name] { throw NotBuilt("'" + name + "' is planned but not built yet in this version"); });
  }
}

void register_missing(CLI::App& app, const std::vector<std::string>& names, const std::string& component,
                      const std::string& needs, const std::string& option) {
  for (const auto& name : names) {
    auto* sub = app.add_subcommand(name, "(not in this build: needs the " + component + " component)");
    sub->allow_extras();
    sub->fallthrough(false);
    sub->callback([name, component, needs, option] {
      throw NotBuilt("'" + name + "' is not in this build: it needs the " + component + " component (" + needs +
                     "); configure with -D" + option + "=ON on a machine that has them (docs/architecture.md)");
    });
  }
}

}  // namespace avtune::cli
