#pragma once
// A process-wide memo of decoded images (read_image): the study trains dozens of models on the same
// small frames, and decoding them again each epoch cost more than the visual encoder's step.
#include <torch/torch.h>

#include <cstddef>
#include <string>

#include "avtune/vision/image_io.h"

namespace avtune {

// read_image through the cache. The returned uint8 (3, H, W) tensor is shared: callers must not modify it.
torch::Tensor cached_read_image(const std::string& path);

// read_image_hwc through the same cache (keyed by path and decode size). Shared: do not modify.
torch::Tensor cached_read_image_hwc(const std::string& path, const ImageDecodeOptions& opts = {});

// The cached read_image_hwc of `path` if present (an undefined tensor otherwise), without decoding.
torch::Tensor find_cached_image_hwc(const std::string& path, const ImageDecodeOptions& opts = {});
// Whether the cache still keeps new images (enabled and under its cap).
bool image_cache_keeps_more();

// Memory cap (default 1 GiB, or $AVTUNE_IMAGE_CACHE_MB; 0 disables). Images beyond it are not kept.
void set_image_cache_limit(size_t bytes);
size_t image_cache_bytes();
void clear_image_cache();

}  // namespace avtune
