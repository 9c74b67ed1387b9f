#include "avtune/io/reference_layout.h"

namespace avtune {

namespace {

// Replaces the first `from` that follows "downsample." in `key` (with the dot that closes the module name).
std::string rename_branch(const std::string& key, const std::string& from, const std::string& to) {
  const std::string needle = "downsample." + from + ".";
  const auto pos = key.find(needle);
  if (pos == std::string::npos || (pos > 0 && key[pos - 1] != '.')) return key;
  return key.substr(0, pos) + "downsample." + to + "." + key.substr(pos + needle.size());
}

StateDict rename_all(const StateDict& sd, const std::string& conv_from, const std::string& conv_to,
                     const std::string& bn_from, const std::string& bn_to) {
  StateDict out;
  for (const auto& [k, t] : sd.entries()) out.set(rename_branch(rename_branch(k, conv_from, conv_to), bn_from, bn_to), t);
  return out;
}

bool has_key_part(const StateDict& sd, const std::string& part) {
  for (const auto& [k, t] : sd.entries())
    if (k.find(part) != std::string::npos) return true;
  return false;
}

}  // namespace

bool is_abri_twin_key(const std::string& key) {
  return key.find("_addition.") != std::string::npos || key.find("fusion_weight") != std::string::npos;
}

bool has_abri_twins(const StateDict& sd) {
  for (const auto& [k, t] : sd.entries())
    if (is_abri_twin_key(k)) return true;
  return false;
}

WeightsLayout detect_layout(const StateDict& sd) {
  const bool twins = has_abri_twins(sd);
  const bool ref = has_key_part(sd, "downsample.conv.") || has_key_part(sd, "downsample.bn.");
  if (ref) return twins ? WeightsLayout::ReferenceAbri : WeightsLayout::Reference;
  return twins ? WeightsLayout::TorchvisionAbri : WeightsLayout::Torchvision;
}

std::string layout_name(WeightsLayout l) {
  switch (l) {
    case WeightsLayout::Torchvision: return "torchvision names (downsample.0/1)";
    case WeightsLayout::TorchvisionAbri: return "avtune ABRi layout (downsample.0/1, twins *_addition, fusion_weight*)";
    case WeightsLayout::Reference: return "reference ABRi layout without twins (downsample.conv/bn)";
    case WeightsLayout::ReferenceAbri:
      return "reference ABRi layout (downsample.conv/bn, twins *_addition, fusion_weight*)";
  }
  return "?";
}

bool is_reference_layout(WeightsLayout l) { return l == WeightsLayout::Reference || l == WeightsLayout::ReferenceAbri; }

StateDict from_reference_layout(const StateDict& sd) { return rename_all(sd, "conv", "0", "bn", "1"); }

StateDict to_reference_layout(const StateDict& sd) { return rename_all(sd, "0", "conv", "1", "bn"); }

}  // namespace avtune
