#pragma once
// The reference's image transforms on (C, H, W) tensors, matching torchvision 0.14 applied to PIL
// images (the reference loads frames with PIL): geometry on uint8 as PIL does it, then ToTensor and
// Normalize. Parity figures are in docs/vision.md.
//
// Randomness: RandomResizedCrop and the horizontal flip draw from a caller-owned CPU torch::Generator
// (at::Generator), consuming it exactly as torchvision consumes torch's global generator. The same seed
// therefore gives the same crops and flips here as `torch.manual_seed(seed)` gives in Python.
#include <torch/torch.h>

#include <array>
#include <cstdint>

namespace avtune {

// torchvision's ImageNet statistics (the reference's Normalize constants).
inline constexpr std::array<float, 3> kImageNetMean = {0.485f, 0.456f, 0.406f};
inline constexpr std::array<float, 3> kImageNetStd = {0.229f, 0.224f, 0.225f};

// --- Geometry: `img` is uint8 or floating (C, H, W); the result keeps its dtype.

// To exactly (height, width), as PIL's bilinear resize: a triangle filter widened by the scale factor
// when shrinking (antialiasing), horizontal pass then vertical pass. uint8 follows PIL's fixed-point
// arithmetic (22-bit weights, rounded, an 8-bit intermediate image); floating images use the same
// filter in double precision without quantization (as PIL's mode "F"). Same size: a copy.
torch::Tensor resize(const torch::Tensor& img, int64_t height, int64_t width);
// transforms.Resize(int): the shorter side becomes `size`, the longer one int(size * long / short).
torch::Tensor resize_shorter_side(const torch::Tensor& img, int64_t size);

// Rows [top, top+height), columns [left, left+width); parts outside the image are zero, as PIL's crop.
torch::Tensor crop(const torch::Tensor& img, int64_t top, int64_t left, int64_t height, int64_t width);
// transforms.CenterCrop: offsets round((H - h) / 2) with Python's round-half-to-even; an image smaller
// than the crop is first zero-padded (the odd pixel of padding going right/bottom).
torch::Tensor center_crop(const torch::Tensor& img, int64_t height, int64_t width);
torch::Tensor hflip(const torch::Tensor& img);

// --- Values

// transforms.ToTensor on a uint8 image: float32 in [0, 1] (x / 255).
torch::Tensor to_float01(const torch::Tensor& img_uint8);
// transforms.Normalize: (x - mean[c]) / std[c] in float32, for a float32 (3, H, W) image.
torch::Tensor normalize(const torch::Tensor& img_float, const std::array<float, 3>& mean = kImageNetMean,
                        const std::array<float, 3>& std = kImageNetStd);

// --- RandomResizedCrop

struct CropParams {
  int top = 0, left = 0, height = 0, width = 0;
};

struct RandomResizedCropOptions {
  double scale_min = 0.08, scale_max = 1.0;          // crop area / image area
  double ratio_min = 3.0 / 4.0, ratio_max = 4.0 / 3.0;  // crop width / height, sampled log-uniformly
  int attempts = 10;
};

// torchvision's RandomResizedCrop.get_params for an image of height x width: up to `attempts` draws of
// (area, log-ratio); the first crop that fits is placed uniformly at random. When none fits, the
// fallback is a centred crop of the whole image with its ratio clamped into [ratio_min, ratio_max].
CropParams sample_resized_crop(int64_t height, int64_t width, at::Generator& gen,
                               const RandomResizedCropOptions& opts = {});
// torchvision.transforms.functional.resized_crop: crop, then resize to (out_height, out_width).
torch::Tensor resized_crop(const torch::Tensor& img, const CropParams& p, int64_t out_height, int64_t out_width);

// A CPU generator seeded like torch.manual_seed(seed).
at::Generator make_generator(uint64_t seed);

// --- The reference's two pipelines, on a uint8 (3, H, W) image; float32 (3, height, width) out.

struct TrainTransformOptions {
  int64_t height = 224, width = 224;
  RandomResizedCropOptions crop;
  double flip_probability = 0.5;
  std::array<float, 3> mean = kImageNetMean, std = kImageNetStd;
};
// RandomResizedCrop(size) + RandomHorizontalFlip() + ToTensor() + Normalize(mean, std).
torch::Tensor train_transform(const torch::Tensor& img_uint8, at::Generator& gen,
                              const TrainTransformOptions& opts = {});

struct EvalTransformOptions {
  int64_t height = 224, width = 224;
  std::array<float, 3> mean = kImageNetMean, std = kImageNetStd;
};
// Resize((height, width)) + ToTensor() + Normalize(mean, std).
torch::Tensor eval_transform(const torch::Tensor& img_uint8, const EvalTransformOptions& opts = {});

}  // namespace avtune
