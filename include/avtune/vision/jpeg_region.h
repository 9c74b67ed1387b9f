#pragma once
// Training frames decoded only where the crop is. RandomResizedCrop draws its box from the image's
// size, which the JPEG header gives before any pixel is decoded; libjpeg-turbo's jpeg_crop_scanline
// and jpeg_skip_scanlines then run the IDCT, upsampling and colour conversion only over the box's
// columns and rows (the entropy decoding still reads the whole file). The pixels inside the box are
// a full decode's, bit for bit (tests/vision/test_jpeg_region.cpp); docs/vision.md.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>

#include "avtune/vision/image_io.h"
#include "avtune/vision/image_transforms.h"

namespace avtune {

struct ImageBox {
  int64_t top = 0, left = 0, height = 0, width = 0;
};

// uint8 (rows, cols, 3) RGB holding image rows top..top+rows-1 and columns left..left+cols-1 of the
// (optionally drafted) image; they contain the chosen box.
struct DecodedRegion {
  torch::Tensor hwc;
  int64_t top = 0, left = 0;
};

// `choose(height, width)` gets the image's size (after the draft reduction of `opts`) and returns the
// box to decode, inside the image. PNG and grayscale JPEG are decoded whole (top = left = 0). Errors
// as read_image_hwc's, naming the file; a truncated JPEG fails even where the box ends before the cut.
DecodedRegion read_image_region_hwc(const std::string& path, const ImageDecodeOptions& opts,
                                    const std::function<ImageBox(int64_t height, int64_t width)>& choose);

// train_transform_into on read_image_hwc(path, decode), decoding only the crop's region: the same
// generator draws and the same numbers.
void train_transform_file_into(const std::string& path, const ImageDecodeOptions& decode, at::Generator& gen,
                               const TrainTransformOptions& opts, float* out, int64_t plane_stride);

}  // namespace avtune
