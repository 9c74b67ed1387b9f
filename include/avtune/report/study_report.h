#pragma once
// The study's report: report.md (figures linked) and report.html (self-contained: figures embedded
// as data URIs), both rendered from results.json's content, plus a plain-language verdict per finding.
#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace avtune {

struct StudyFigure {
  std::string file;  // PNG under <dir>/figures/
  std::string title, caption;
};

// Writes <dir>/report.md and <dir>/report.html; returns their paths.
std::pair<std::string, std::string> write_study_report(const std::string& dir, const nlohmann::json& results,
                                                       const std::vector<StudyFigure>& figures);

// "held" / "did not hold" sentences for the paper's findings, from the results (also in the report).
std::vector<std::string> study_verdicts(const nlohmann::json& results);

// RFC 4648 base64 (for the HTML's embedded figures).
std::string base64(const std::string& bytes);

}  // namespace avtune
