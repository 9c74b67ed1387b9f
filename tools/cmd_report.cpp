// avtune report: re-renders a finished study's report and figures from its results.json, training
// nothing (docs/report.md).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "avtune/plot/chart.h"
#include "avtune/report/compare.h"
#include "avtune/report/study_report.h"
#include "cli_common.h"

namespace avtune::cli {

void register_report(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("report", "Re-render a study's report.md, report.html and figures from its results.json");
  auto dirs = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<std::string>("svg");
  auto compare = std::make_shared<std::vector<std::string>>();
  cmd->add_option("RUN_DIR", *dirs, "the study folder (avtune reproduce --out)");
  cmd->add_option("--compare", *compare,
                  "DIR1 DIR2: print two studies' verdicts side by side (e.g. two processors or instruction sets) "
                  "and render nothing")
      ->expected(2);
  cmd->add_option("--figure-format", *format, "figures as PNG (embedded in report.html), plus an SVG or PDF beside each: png|svg|pdf")
      ->capture_default_str();
  cmd->callback([dirs, format, compare, &g] {
    // Usage errors exit 2 (main prints the message); a missing or foreign results.json exits 1.
    if (!compare->empty()) {
      if (!dirs->empty()) throw CLI::ParseError("report --compare DIR1 DIR2 takes no RUN_DIR; unexpected: " + dirs->front(), 2);
      const auto a = read_study_results((*compare)[0]), b = read_study_results((*compare)[1]);
      std::printf("%s", verdict_comparison_table(compare_verdicts(a, b), (*compare)[0], (*compare)[1]).c_str());
      return;
    }
    if (dirs->empty()) throw CLI::ParseError("report needs RUN_DIR, the folder of a study (avtune report RUN_DIR)", 2);
    if (dirs->size() > 1) throw CLI::ParseError("report takes one RUN_DIR; unexpected: " + (*dirs)[1], 2);
    const std::string* dir = &dirs->front();
    if (*format != "png" && *format != "svg" && *format != "pdf")
      throw CLI::ParseError("--figure-format: expected png|svg|pdf, got " + *format, 2);
    apply_runtime(g);
    const auto results = read_study_results(*dir);
    const auto files = write_study_report(*dir, results, parse_figure_format(*format));
    std::printf("report: %s\n        %s\nfigures: %zu files in %s/figures\n", files.markdown.c_str(), files.html.c_str(),
                files.figures.size(), dir->c_str());
  });
}

}  // namespace avtune::cli
