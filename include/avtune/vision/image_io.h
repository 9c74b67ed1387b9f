#pragma once
// Reading and writing images as uint8 (3, H, W) RGB tensors, decoded as the reference's
// `PIL.Image.open(path).convert('RGB')` decodes them (see docs/vision.md for the few divergences).
#include <torch/torch.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace avtune {

enum class ImageFormat { Jpeg, Png };

// Format from the first bytes (JPEG: FF D8 FF, PNG: the 8-byte signature), never from the extension.
// Throws, naming `name_for_errors`, for anything else.
ImageFormat detect_image_format(const uint8_t* data, size_t n, const std::string& name_for_errors);

// uint8 (3, H, W) RGB. JPEG: grayscale, YCbCr or RGB (CMYK is refused). PNG: any bit depth and colour
// type; 16-bit samples keep their high byte, palettes are expanded, alpha is dropped (not composited),
// gray is replicated. Missing, truncated or corrupt files throw avtune::Error naming the file.
torch::Tensor read_image(const std::string& path);
torch::Tensor decode_image(const uint8_t* data, size_t n, const std::string& name_for_errors);

// JPEG decoded at a reduced size by libjpeg-turbo's DCT scaling, as PIL's Image.draft does it: the
// largest of 1/8, 1/4, 1/2 that keeps both sides at least min_height x min_width (0: full size).
// Faster, and the pixels differ from a full-size decode resized afterwards (docs/vision.md).
struct ImageDecodeOptions {
  int64_t min_height = 0, min_width = 0;
};
// uint8 (H, W, 3) RGB: read_image's values in the decoder's own interleaved layout, optionally
// decoded at a reduced size. PNG ignores the reduction.
torch::Tensor read_image_hwc(const std::string& path, const ImageDecodeOptions& opts = {});

// `chw_uint8` must be uint8 (3, H, W) (or (1, H, W): written as grayscale). Atomic: temp file + rename.
void write_jpeg(const std::string& path, const torch::Tensor& chw_uint8, int quality = 90);
// The bytes write_jpeg would write (same encoder and settings), in memory.
std::vector<uint8_t> encode_jpeg(const torch::Tensor& chw_uint8, int quality = 90, const std::string& name_for_errors = "");
void write_png(const std::string& path, const torch::Tensor& chw_uint8);

}  // namespace avtune
