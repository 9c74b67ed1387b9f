#pragma once
// The figures single commands write next to their outputs: a run's accuracy curve (curve.png),
// ABRi's learned alphas (abri_alpha.png), a diagnosis bar chart (diagnose --plot) and stage 1's
// confidence scatter (fust masks). Each is PNG, SVG or PDF by its path's extension (see chart.h).
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "avtune/methods/fusion_masks.h"
#include "avtune/plot/chart.h"

namespace avtune {

struct Diagnosis;  // avtune/methods/dead_channels.h (LibTorch); only the .cpp needs its definition

// Train accuracy and eval top-1 per epoch from a run's metrics.jsonl lines (Fig. 1a style).
void write_curve_figure(const std::string& path, const std::vector<nlohmann::json>& log, const std::string& title);

// Mean alpha per BN layer (names and values in layer order).
void write_alpha_figure(const std::string& path, const std::vector<std::string>& bn_names,
                        const std::vector<double>& alpha, const std::string& title);

// A finished run's figures in its directory `dir`: curve.png, and abri_alpha.png when the run has ABRi
// mixing weights (`alpha_bn` names, `alpha_mean` values, in layer order; empty without ABRi).
void write_run_figures(const std::string& dir, const std::string& kind, const std::vector<nlohmann::json>& log,
                       const std::vector<std::string>& alpha_bn, const std::vector<double>& alpha_mean);

// A bar chart before it is drawn: what the figure says, testable without reading pixels.
struct BarChartModel {
  ChartStyle style;
  std::vector<std::string> categories;
  std::vector<Series> groups;
};

// Per BN layer: the abnormal ratio at every threshold and, when measured, the dead-on-data share;
// with `compare`, both diagnoses side by side (Fig. 2a style). Series names spell gamma and beta in
// ASCII; when no channel is abnormal, the title and a note in the plot say "none found".
BarChartModel diagnosis_chart(const Diagnosis& d, const Diagnosis* compare = nullptr);
void write_diagnosis_figure(const std::string& path, const Diagnosis& d, const Diagnosis* compare = nullptr);

// Mean audio vs visual confidence per sample (Fig. 4 style), coloured by `classes[i]` (an index into
// `class_names`; negative: gray).
void write_confidence_figure(const std::string& path, const std::vector<SampleConfidence>& conf,
                             const std::vector<int>& classes, const std::vector<std::string>& class_names,
                             const std::string& title);
// Colour classes for write_confidence_figure: 0 not masked, 1 audio masked, 2 visual masked.
std::vector<int> mask_classes(const std::vector<MaskRatio>& ratios);
extern const std::vector<std::string> kMaskClassNames;

}  // namespace avtune
