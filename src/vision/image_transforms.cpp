#include "avtune/vision/image_transforms.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "avtune/util/error.h"
#include "avtune/util/tensor_text.h"
#include "resize_taps.h"

namespace avtune {

namespace {

constexpr const char* kComponent = "image-transform";

std::string describe(const torch::Tensor& t) {
  if (!t.defined()) return "an undefined tensor";
  return dtype_str(t.scalar_type()) + " " + shape_str(t) + (t.device().is_cpu() ? "" : " on " + t.device().str());
}

void check_image(const torch::Tensor& img, const std::string& op) {
  if (!img.defined() || img.dim() != 3 || img.size(0) < 1 || img.size(1) < 1 || img.size(2) < 1 ||
      !img.device().is_cpu() || !(img.scalar_type() == torch::kUInt8 || c10::isFloatingType(img.scalar_type())))
    fail(kComponent, op + " input as a CPU uint8 or floating (C, H, W) image", describe(img));
}

void check_rgb_uint8(const torch::Tensor& img, const std::string& op) {
  if (!img.defined() || img.dim() != 3 || img.size(0) != 3 || img.size(1) < 1 || img.size(2) < 1 ||
      !img.device().is_cpu() || img.scalar_type() != torch::kUInt8)
    fail(kComponent, op + " input as a CPU uint8 (3, H, W) image", describe(img));
}

void check_size(int64_t height, int64_t width, const std::string& op) {
  if (height < 1 || width < 1)
    fail(kComponent, op + " output size of at least 1 x 1", std::to_string(height) + " x " + std::to_string(width));
}

// Python's round(): halves go to the even neighbour (torchvision's offsets and crop sizes use it).
int64_t round_half_even(double x) {
  const double f = std::floor(x);
  const double r = x - f;
  if (r > 0.5) return static_cast<int64_t>(f) + 1;
  if (r < 0.5) return static_cast<int64_t>(f);
  return std::fmod(f, 2.0) == 0.0 ? static_cast<int64_t>(f) : static_cast<int64_t>(f) + 1;
}

// Along the last axis: `rows` rows of n_in samples -> rows of n_out samples.
template <typename T>
void resample_rows(const T* in, T* out, int64_t rows, int64_t n_in, int64_t n_out, const Taps& t) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* src = in + r * n_in;
    T* dst = out + r * n_out;
    for (int64_t o = 0; o < n_out; ++o) {
      const T* s = src + t.first[static_cast<size_t>(o)];
      const int64_t n = std::min(t.span, n_in - t.first[static_cast<size_t>(o)]);
      if constexpr (std::is_same_v<T, uint8_t>) {
        const int32_t* q = &t.fixed[static_cast<size_t>(o * t.span)];
        int32_t acc = 1 << (kWeightBits - 1);  // rounds the final shift to nearest
        for (int64_t k = 0; k < n; ++k) acc += static_cast<int32_t>(s[k]) * q[k];
        dst[o] = clip8(acc);
      } else {
        const double* w = &t.weight[static_cast<size_t>(o * t.span)];
        double acc = 0.0;
        for (int64_t k = 0; k < n; ++k) acc += static_cast<double>(s[k]) * w[k];
        dst[o] = static_cast<T>(acc);
      }
    }
  }
}

// Along the middle axis: `planes` planes of (n_in x cols) -> (n_out x cols), row by row so the inner
// loop runs over contiguous memory.
template <typename T>
void resample_cols(const T* in, T* out, int64_t planes, int64_t n_in, int64_t n_out, int64_t cols, const Taps& t) {
  using Acc = std::conditional_t<std::is_same_v<T, uint8_t>, int32_t, double>;
  std::vector<Acc> acc(static_cast<size_t>(cols));
  for (int64_t p = 0; p < planes; ++p) {
    const T* src = in + p * n_in * cols;
    T* dst = out + p * n_out * cols;
    for (int64_t o = 0; o < n_out; ++o) {
      const int64_t first = t.first[static_cast<size_t>(o)];
      const int64_t n = std::min(t.span, n_in - first);
      if constexpr (std::is_same_v<T, uint8_t>) {
        std::fill(acc.begin(), acc.end(), 1 << (kWeightBits - 1));
        const int32_t* q = &t.fixed[static_cast<size_t>(o * t.span)];
        for (int64_t k = 0; k < n; ++k) {
          const T* row = src + (first + k) * cols;
          for (int64_t c = 0; c < cols; ++c) acc[static_cast<size_t>(c)] += static_cast<int32_t>(row[c]) * q[k];
        }
        for (int64_t c = 0; c < cols; ++c) dst[o * cols + c] = clip8(acc[static_cast<size_t>(c)]);
      } else {
        std::fill(acc.begin(), acc.end(), 0.0);
        const double* w = &t.weight[static_cast<size_t>(o * t.span)];
        for (int64_t k = 0; k < n; ++k) {
          const T* row = src + (first + k) * cols;
          for (int64_t c = 0; c < cols; ++c) acc[static_cast<size_t>(c)] += static_cast<double>(row[c]) * w[k];
        }
        for (int64_t c = 0; c < cols; ++c) dst[o * cols + c] = static_cast<T>(acc[static_cast<size_t>(c)]);
      }
    }
  }
}

template <typename T>
torch::Tensor resize_typed(const torch::Tensor& img, int64_t height, int64_t width) {
  torch::Tensor cur = img.contiguous();
  const int64_t c = cur.size(0), h = cur.size(1), w = cur.size(2);
  // Horizontal first, then vertical, each only when its size changes, with an intermediate image
  // of the input's type in between: PIL's order, which matters for 8-bit rounding.
  if (w != width) {
    auto out = torch::empty({c, h, width}, cur.options());
    resample_rows<T>(cur.data_ptr<T>(), out.data_ptr<T>(), c * h, w, width, make_taps(w, width));
    cur = out;
  }
  if (h != height) {
    auto out = torch::empty({c, height, width}, cur.options());
    resample_cols<T>(cur.data_ptr<T>(), out.data_ptr<T>(), c, h, height, width, make_taps(h, height));
    cur = out;
  }
  return cur;
}

}  // namespace

torch::Tensor resize(const torch::Tensor& img, int64_t height, int64_t width) {
  check_image(img, "resize");
  check_size(height, width, "resize");
  if (img.size(1) == height && img.size(2) == width) return img.clone();
  switch (img.scalar_type()) {
    case torch::kUInt8: return resize_typed<uint8_t>(img, height, width);
    case torch::kFloat: return resize_typed<float>(img, height, width);
    case torch::kDouble: return resize_typed<double>(img, height, width);
    default:  // half, bfloat16: filter in float32
      return resize_typed<float>(img.to(torch::kFloat), height, width).to(img.scalar_type());
  }
}

torch::Tensor resize_shorter_side(const torch::Tensor& img, int64_t size) {
  check_image(img, "resize_shorter_side");
  check_size(size, size, "resize_shorter_side");
  const int64_t h = img.size(1), w = img.size(2);
  const int64_t shorter = std::min(h, w), longer = std::max(h, w);
  // int(size * long / short): true division, then truncation, as torchvision computes it.
  const auto new_long = static_cast<int64_t>(static_cast<double>(size * longer) / static_cast<double>(shorter));
  return w <= h ? resize(img, new_long, size) : resize(img, size, new_long);
}

torch::Tensor crop(const torch::Tensor& img, int64_t top, int64_t left, int64_t height, int64_t width) {
  check_image(img, "crop");
  check_size(height, width, "crop");
  auto out = torch::zeros({img.size(0), height, width}, img.options());
  const int64_t r0 = std::max<int64_t>(top, 0), r1 = std::min(top + height, img.size(1));
  const int64_t c0 = std::max<int64_t>(left, 0), c1 = std::min(left + width, img.size(2));
  if (r0 < r1 && c0 < c1)
    out.slice(1, r0 - top, r1 - top).slice(2, c0 - left, c1 - left).copy_(img.slice(1, r0, r1).slice(2, c0, c1));
  return out;
}

torch::Tensor center_crop(const torch::Tensor& img, int64_t height, int64_t width) {
  check_image(img, "center_crop");
  check_size(height, width, "center_crop");
  // Per axis: a larger crop is zero-padded with floor(extra / 2) before (so a negative offset here);
  // a smaller one starts at round((n - crop) / 2).
  auto offset = [](int64_t n, int64_t c) {
    return c > n ? -((c - n) / 2) : round_half_even(static_cast<double>(n - c) / 2.0);
  };
  return crop(img, offset(img.size(1), height), offset(img.size(2), width), height, width);
}

torch::Tensor hflip(const torch::Tensor& img) {
  check_image(img, "hflip");
  return img.flip({2});
}

torch::Tensor to_float01(const torch::Tensor& img_uint8) {
  if (!img_uint8.defined() || img_uint8.scalar_type() != torch::kUInt8)
    fail(kComponent, "to_float01 input as a uint8 image", describe(img_uint8));
  return img_uint8.to(torch::kFloat).div(255);
}

torch::Tensor normalize(const torch::Tensor& img_float, const std::array<float, 3>& mean,
                        const std::array<float, 3>& std) {
  if (!img_float.defined() || img_float.dim() != 3 || img_float.size(0) != 3 ||
      !c10::isFloatingType(img_float.scalar_type()))
    fail(kComponent, "normalize input as a floating (3, H, W) image", describe(img_float));
  for (float s : std)
    if (!(s != 0.0f) || !std::isfinite(s)) fail(kComponent, "finite non-zero normalize std", std::to_string(s));
  const auto opts = torch::TensorOptions().dtype(img_float.scalar_type()).device(img_float.device());
  auto m = torch::tensor({mean[0], mean[1], mean[2]}, torch::kFloat).to(opts).view({3, 1, 1});
  auto s = torch::tensor({std[0], std[1], std[2]}, torch::kFloat).to(opts).view({3, 1, 1});
  return img_float.sub(m).div(s);
}

CropParams sample_resized_crop(int64_t height, int64_t width, at::Generator& gen,
                               const RandomResizedCropOptions& opts) {
  check_size(height, width, "sample_resized_crop image");
  if (!(opts.scale_min >= 0.0 && opts.scale_min <= opts.scale_max))
    fail(kComponent, "RandomResizedCrop scale with 0 <= min <= max",
         "(" + std::to_string(opts.scale_min) + ", " + std::to_string(opts.scale_max) + ")");
  if (!(opts.ratio_min > 0.0 && opts.ratio_min <= opts.ratio_max))
    fail(kComponent, "RandomResizedCrop ratio with 0 < min <= max",
         "(" + std::to_string(opts.ratio_min) + ", " + std::to_string(opts.ratio_max) + ")");
  // Every draw goes through the same torch ops, float32 tensors included, as torchvision's
  // get_params: that is what makes a seed give torchvision's crops to the pixel.
  const double area = static_cast<double>(height) * static_cast<double>(width);
  const auto log_ratio = torch::log(torch::tensor({opts.ratio_min, opts.ratio_max}, torch::kFloat));
  const double log_lo = log_ratio[0].item<double>(), log_hi = log_ratio[1].item<double>();
  for (int attempt = 0; attempt < opts.attempts; ++attempt) {
    const double target_area =
        area * torch::empty({1}, torch::kFloat).uniform_(opts.scale_min, opts.scale_max, gen).item<double>();
    const double aspect = torch::exp(torch::empty({1}, torch::kFloat).uniform_(log_lo, log_hi, gen)).item<double>();
    const int64_t w = round_half_even(std::sqrt(target_area * aspect));
    const int64_t h = round_half_even(std::sqrt(target_area / aspect));
    if (0 < w && w <= width && 0 < h && h <= height) {
      const auto top = torch::randint(0, height - h + 1, {1}, gen, torch::kLong).item<int64_t>();
      const auto left = torch::randint(0, width - w + 1, {1}, gen, torch::kLong).item<int64_t>();
      return {static_cast<int>(top), static_cast<int>(left), static_cast<int>(h), static_cast<int>(w)};
    }
  }
  // Fallback: centred, as large as possible with the image's ratio clamped into the allowed range.
  const double in_ratio = static_cast<double>(width) / static_cast<double>(height);
  int64_t w = width, h = height;
  if (in_ratio < opts.ratio_min) {
    h = round_half_even(static_cast<double>(w) / opts.ratio_min);
  } else if (in_ratio > opts.ratio_max) {
    w = round_half_even(static_cast<double>(h) * opts.ratio_max);
  }
  return {static_cast<int>((height - h) / 2), static_cast<int>((width - w) / 2), static_cast<int>(h),
          static_cast<int>(w)};
}

torch::Tensor resized_crop(const torch::Tensor& img, const CropParams& p, int64_t out_height, int64_t out_width) {
  return resize(crop(img, p.top, p.left, p.height, p.width), out_height, out_width);
}

at::Generator make_generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

torch::Tensor train_transform(const torch::Tensor& img_uint8, at::Generator& gen, const TrainTransformOptions& opts) {
  check_rgb_uint8(img_uint8, "train_transform");
  const CropParams p = sample_resized_crop(img_uint8.size(1), img_uint8.size(2), gen, opts.crop);
  auto x = resized_crop(img_uint8, p, opts.height, opts.width);
  // RandomHorizontalFlip draws even when p is 0 or 1; compared in float32 as torch compares it.
  if (torch::rand({1}, gen).item<float>() < static_cast<float>(opts.flip_probability)) x = hflip(x);
  return normalize(to_float01(x), opts.mean, opts.std);
}

torch::Tensor eval_transform(const torch::Tensor& img_uint8, const EvalTransformOptions& opts) {
  check_rgb_uint8(img_uint8, "eval_transform");
  return normalize(to_float01(resize(img_uint8, opts.height, opts.width)), opts.mean, opts.std);
}

}  // namespace avtune
