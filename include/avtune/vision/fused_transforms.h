#pragma once
// train_transform (RandomResizedCrop + RandomHorizontalFlip + ToTensor + Normalize) in one pass from
// the decoder's interleaved RGB rows straight into a float destination such as a batch tensor: no
// crop, flip, float or normalised intermediate image. The same generator draws and the same numbers
// as train_transform on the (3, H, W) image (PIL's fixed-point filter, its 8-bit intermediate).
#include <torch/torch.h>

#include <cstdint>

#include "avtune/vision/image_transforms.h"

namespace avtune {

// `hwc`: uint8 (H, W, 3) RGB (read_image_hwc). Writes opts.height x opts.width floats per channel
// at out + c * plane_stride (row-major planes), e.g. plane_stride = T * H * W for frame t of a
// (3, T, H, W) clip with out pointing at frame t.
void train_transform_into(const torch::Tensor& hwc, at::Generator& gen, const TrainTransformOptions& opts, float* out,
                          int64_t plane_stride);

// Its resize, flip and normalise for a crop already drawn, `crop` in hwc's coordinates (hwc may be a
// region decode holding the crop: jpeg_region.h).
void resized_crop_into(const torch::Tensor& hwc, const CropParams& crop, bool flip, const TrainTransformOptions& opts,
                       float* out, int64_t plane_stride);

}  // namespace avtune
