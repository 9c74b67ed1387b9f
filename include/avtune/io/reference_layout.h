#pragma once
// The reference code's ABRi state_dict names (the paper's ABRi; docs/fusion_tuning.md, "Reference ABRi checkpoints")
// and avtune's, in one place. They differ only in the downsample branch: the reference's ABRi ResNet
// names it `downsample.conv` / `downsample.bn` (next to its twin `downsample.bn_addition` and
// `downsample.fusion_weight`), torchvision and avtune `downsample.0` / `downsample.1`. The twins
// (`bn1_addition`, `bnK_addition`, `fusion_weight`, `fusion_weightK`) have the same names in both.
#include <string>

#include "avtune/io/state_dict.h"

namespace avtune {

enum class WeightsLayout {
  Torchvision,          // downsample.0/1, no twins (torchvision, the reference's plain ResNet)
  TorchvisionAbri,      // downsample.0/1 with ABRi twins (avtune's ABRi encoders)
  Reference,            // downsample.conv/bn without twins (the reference's converted ImageNet files)
  ReferenceAbri,        // downsample.conv/bn with ABRi twins (the reference's ABRi checkpoints)
};
WeightsLayout detect_layout(const StateDict& sd);
std::string layout_name(WeightsLayout l);  // "reference ABRi layout", ...
bool is_reference_layout(WeightsLayout l);
bool has_abri_twins(const StateDict& sd);  // any `*_addition.*` or `fusion_weight*` key
bool is_abri_twin_key(const std::string& key);

// downsample.conv. -> downsample.0., downsample.bn. -> downsample.1. (twins untouched); other keys and
// their order are kept. Idempotent.
StateDict from_reference_layout(const StateDict& sd);
// The inverse: downsample.0. -> downsample.conv., downsample.1. -> downsample.bn..
StateDict to_reference_layout(const StateDict& sd);

}  // namespace avtune
