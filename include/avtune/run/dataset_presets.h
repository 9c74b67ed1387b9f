#pragma once
// Data set presets (`--preset NAME`, "preset" in a data section): the data section's defaults for a
// data set of the field as it ships — its format, split names and normalisation (docs/datasets.md).
// Keys a section or flag gives explicitly win over the preset's.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace avtune {

// The data-section keys of preset `name`; throws avtune::Error listing the presets for an unknown one.
nlohmann::json dataset_preset(const std::string& name);
std::vector<std::string> dataset_preset_names();

}  // namespace avtune
