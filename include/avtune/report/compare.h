#pragma once
// Two studies' verdicts side by side (`avtune report --compare DIR1 DIR2`): e.g. the same commit on two
// processors, or with oneDNN capped to an older instruction set (docs/reproduce.md, "Instruction
// sets"). Numbers may differ; the question is whether the verdicts do.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace avtune {

struct VerdictPair {
  std::string id;
  std::string verdict_a, verdict_b;  // "held" | "contradicted" | "inconclusive" | "unknown" | "absent"
  std::string interval_a, interval_b;  // "+3.1 [+1.0, +5.2] (n 5/5)" in points, or "n/a"
  bool agree = false;
};

// One row per finding of either study, in the first study's order (then the second's extra ones).
std::vector<VerdictPair> compare_verdicts(const nlohmann::json& results_a, const nlohmann::json& results_b);

// A Markdown table of compare_verdicts with the two studies' labels, and a closing line
// "verdicts agree on K of N findings".
std::string verdict_comparison_table(const std::vector<VerdictPair>& rows, const std::string& label_a,
                                     const std::string& label_b);

}  // namespace avtune
