#pragma once
// Fusion Tuning stage 2's input masking: a fraction of a sample's patches set to 0 (after
// normalisation), drawn afresh each time the sample is loaded. Patch counts are the reference's
// whatever the input size: audio 32 (time) x 16 (mel) = 512 patches (32 frames x 8 bins at 1024x128),
// each visual frame 22 x 22 = 484 patches (drawn independently per frame). Patch edges are at
// floor(i * size / count), so the grid covers the whole input.
#include <torch/torch.h>

#include <map>
#include <random>
#include <string>

#include "avtune/data/dataset.h"
#include "avtune/methods/fusion_masks.h"

namespace avtune {

struct PatchGrid {
  int64_t rows = 0, cols = 0;
  int64_t count() const { return rows * cols; }
};
constexpr PatchGrid kAudioPatchGrid{32, 16};
constexpr PatchGrid kVisualPatchGrid{22, 22};

// Zeroes floor(ratio * grid.count()) distinct patches, chosen uniformly from `rng`, of the last two
// dimensions of `x` (every leading index masked alike). Returns the number of patches masked.
int64_t mask_patches(torch::Tensor& x, PatchGrid grid, double ratio, std::mt19937_64& rng);

// The stage-2 sample transform: looks each sample up by name in `ratios` (read from `source`, named
// in errors) and masks its audio (1, T, F) and each frame of its visual (3, T, H, W).
SampleTransform fusion_mask_transform(std::map<std::string, MaskRatio> ratios, std::string source);

}  // namespace avtune
