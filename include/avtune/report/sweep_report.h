#pragma once
// `avtune sweep`'s table and figure, rendered from its sweep.json alone (study/sweep.h): sweep.md
// (every setting's validation top-1, the choice, the test figures of the chosen setting and the
// baseline) and sweep.png + sweep.svg (validation top-1 per setting with error bars, the baseline a line).
#include <nlohmann/json.hpp>

#include <string>

namespace avtune {

struct SweepReportFiles {
  std::string table, figure;  // sweep.md, sweep.svg (sweep.png beside it)
};

// Writes into `dir`; a malformed sweep.json throws avtune::Error naming the missing key.
SweepReportFiles write_sweep_report(const std::string& dir, const nlohmann::json& sweep);

// The Markdown table alone.
std::string sweep_markdown(const nlohmann::json& sweep);

}  // namespace avtune
