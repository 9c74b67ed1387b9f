#pragma once
// The study report's figures, drawn from results.json alone (docs/report.md): accuracy curves per
// cross-modal direction (Fig. 1a), abnormal BN channels before/after fine-tuning (Fig. 2a), joint
// learning with linear probes (Fig. 1b) and stage 1's confidence scatter (Fig. 4).
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "avtune/plot/chart.h"

namespace avtune {

struct StudyFigure {
  std::string file;         // PNG under <dir>/figures/ (embedded in report.html)
  std::string vector_file;  // SVG or PDF beside it ("" for the png format)
  std::string title, caption;
};

// Draws every figure whose data results.json has into <dir>/figures/: a PNG each, plus an SVG or
// PDF beside it when `format` is svg or pdf. Returns them in the report's order.
std::vector<StudyFigure> write_study_figures(const std::string& dir, const nlohmann::json& results, FigureFormat format);

}  // namespace avtune
