#include "avtune/vision/fused_transforms.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "avtune/util/error.h"
#include "avtune/util/tensor_text.h"
#include "resize_taps.h"

namespace avtune {

namespace {

// ToTensor then Normalize of every 8-bit value, with their float operations: x / 255, (x - m) / s.
std::array<std::array<float, 256>, 3> value_table(const std::array<float, 3>& mean, const std::array<float, 3>& std) {
  std::array<std::array<float, 256>, 3> t;
  for (int c = 0; c < 3; ++c)
    for (int v = 0; v < 256; ++v) t[c][v] = (static_cast<float>(v) / 255.0f - mean[c]) / std[c];
  return t;
}

}  // namespace

void train_transform_into(const torch::Tensor& hwc, at::Generator& gen, const TrainTransformOptions& opts, float* out,
                          int64_t plane_stride) {
  if (!hwc.defined() || hwc.dim() != 3 || hwc.size(2) != 3 || hwc.scalar_type() != torch::kUInt8 ||
      !hwc.device().is_cpu() || hwc.size(0) < 1 || hwc.size(1) < 1)
    fail("image-transform", "train_transform_into input as a CPU uint8 (H, W, 3) image",
         hwc.defined() ? dtype_str(hwc.scalar_type()) + " " + shape_str(hwc) : "an undefined tensor");
  for (float s : opts.std)
    if (!(s != 0.0f) || !std::isfinite(s)) fail("image-transform", "finite non-zero normalize std", std::to_string(s));
  const auto img = hwc.contiguous();
  const int64_t H = img.size(0), W = img.size(1), oh = opts.height, ow = opts.width;
  if (oh < 1 || ow < 1) fail("image-transform", "an output of at least 1 x 1", std::to_string(oh) + " x " + std::to_string(ow));
  // train_transform's draws, in its order: the crop, then the flip.
  const CropParams p = sample_resized_crop(H, W, gen, opts.crop);
  const bool flip = torch::rand({1}, gen).item<float>() < static_cast<float>(opts.flip_probability);
  const auto table = value_table(opts.mean, opts.std);
  auto store_row = [&](const uint8_t* row, int64_t y) {  // one output row of interleaved RGB
    for (int64_t x = 0; x < ow; ++x) {
      const int64_t xo = flip ? ow - 1 - x : x;
      for (int c = 0; c < 3; ++c) out[c * plane_stride + y * ow + xo] = table[c][row[3 * x + c]];
    }
  };
  if (p.top < 0 || p.left < 0 || p.top + p.height > H || p.left + p.width > W) {
    // Not from RandomResizedCrop's own draws (they stay inside): the general path, zero-filled crop.
    auto x = resized_crop(img.permute({2, 0, 1}), p, oh, ow);
    if (flip) x = hflip(x);
    x = x.permute({1, 2, 0}).contiguous();
    for (int64_t y = 0; y < oh; ++y) store_row(x.data_ptr<uint8_t>() + y * ow * 3, y);
    return;
  }
  const int64_t ch = p.height, cw = p.width, stride = W * 3;
  const uint8_t* src = img.data_ptr<uint8_t>() + (p.top * W + p.left) * 3;

  // Horizontal pass into an 8-bit intermediate (PIL's order and rounding), only when the width changes.
  thread_local std::vector<uint8_t> mid;
  const uint8_t* rows = src;
  int64_t rows_stride = stride;
  if (cw != ow) {
    const Taps t = make_taps(cw, ow);
    mid.resize(static_cast<size_t>(ch * ow * 3));
    for (int64_t r = 0; r < ch; ++r) {
      const uint8_t* s = src + r * stride;
      uint8_t* d = mid.data() + r * ow * 3;
      for (int64_t x = 0; x < ow; ++x) {
        const int64_t first = t.first[static_cast<size_t>(x)], n = std::min(t.span, cw - first);
        const int32_t* q = &t.fixed[static_cast<size_t>(x * t.span)];
        const uint8_t* px = s + first * 3;
        int32_t a0 = 1 << (kWeightBits - 1), a1 = a0, a2 = a0;  // rounds the final shift to nearest
        for (int64_t k = 0; k < n; ++k) {
          a0 += static_cast<int32_t>(px[3 * k]) * q[k];
          a1 += static_cast<int32_t>(px[3 * k + 1]) * q[k];
          a2 += static_cast<int32_t>(px[3 * k + 2]) * q[k];
        }
        d[3 * x] = clip8(a0);
        d[3 * x + 1] = clip8(a1);
        d[3 * x + 2] = clip8(a2);
      }
    }
    rows = mid.data();
    rows_stride = ow * 3;
  }
  // Vertical pass (when the height changes), straight into the normalised float planes.
  if (ch == oh) {
    for (int64_t y = 0; y < oh; ++y) store_row(rows + y * rows_stride, y);
    return;
  }
  const Taps t = make_taps(ch, oh);
  thread_local std::vector<int32_t> acc;
  thread_local std::vector<uint8_t> line;
  acc.resize(static_cast<size_t>(ow * 3));
  line.resize(static_cast<size_t>(ow * 3));
  int32_t* __restrict a = acc.data();
  uint8_t* __restrict l = line.data();
  const int64_t len = ow * 3;
  for (int64_t y = 0; y < oh; ++y) {
    const int64_t first = t.first[static_cast<size_t>(y)], n = std::min(t.span, ch - first);
    const int32_t* q = &t.fixed[static_cast<size_t>(y * t.span)];
    for (int64_t j = 0; j < len; ++j) a[j] = 1 << (kWeightBits - 1);
    for (int64_t k = 0; k < n; ++k) {
      const uint8_t* __restrict row = rows + (first + k) * rows_stride;
      const int32_t w = q[k];
      for (int64_t j = 0; j < len; ++j) a[j] += static_cast<int32_t>(row[j]) * w;
    }
    for (int64_t j = 0; j < len; ++j) l[j] = clip8(a[j]);
    store_row(l, y);
  }
}

}  // namespace avtune
