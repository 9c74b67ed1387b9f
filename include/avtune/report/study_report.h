#pragma once
// The study's report, rendered from results.json alone (docs/report.md): report.md (figures linked),
// a self-contained report.html (figures embedded as data URIs) and the figures under figures/, with a
// plain-language verdict per finding (report/verdicts.h). `avtune report RUN_DIR` re-renders a study.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "avtune/plot/chart.h"

namespace avtune {

// results.json's "kind" for a study's results.
inline constexpr const char* kStudyResultsKind = "avtune-study";

// A study's results: "kind" is kStudyResultsKind, or (results written before "kind" existed) a
// "plan" object and at least one experiment's section.
bool is_study_results(const nlohmann::json& results);
// <dir>/results.json; throws avtune::Error naming the file when it is missing, not JSON, or not a study's.
nlohmann::json read_study_results(const std::string& dir);

struct StudyReportFiles {
  std::string markdown, html;
  std::vector<std::string> figures;  // paths of every figure file written
};

// Writes <dir>/figures/* (PNG, plus SVG/PDF beside each for those formats), <dir>/report.md and
// <dir>/report.html from `results`.
StudyReportFiles write_study_report(const std::string& dir, const nlohmann::json& results, FigureFormat format);

}  // namespace avtune
