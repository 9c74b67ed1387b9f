#pragma once
// PIL's separable bilinear resampling weights, shared by image_transforms.cpp and
// fused_transforms.cpp (one filter, so both give PIL's pixels).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace avtune {
namespace {

// PIL's fixed-point precision for 8-bit resampling: 32 bits - 8 for the sample - 2 for headroom.
constexpr int kWeightBits = 22;

// Separable resampling. For each output sample along one axis: the first input sample it reads and
// `span` weights (zero-padded). The triangle's half-width is 1 input sample when enlarging and
// in/out samples when shrinking, which is what makes the shrink antialiased.
struct Taps {
  int64_t span = 0;
  std::vector<int64_t> first;
  std::vector<int64_t> count;   // taps inside the window (the rest of the span weighs 0)
  std::vector<double> weight;   // out_size x span, each row summing to 1
  std::vector<int32_t> fixed;   // the same scaled by 2^22 and rounded, for 8-bit images
};

double triangle(double x) {
  x = std::abs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

Taps make_taps(int64_t in_size, int64_t out_size) {
  const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
  const double widen = std::max(scale, 1.0);
  const double support = widen;  // triangle support 1, widened
  // Multiplied by the reciprocal, as PIL does, so the double weights (and so their rounding to fixed
  // point below) agree bit for bit rather than nearly.
  const double inv_widen = 1.0 / widen;
  Taps t;
  t.span = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
  t.first.resize(static_cast<size_t>(out_size));
  t.count.resize(static_cast<size_t>(out_size));
  t.weight.assign(static_cast<size_t>(out_size * t.span), 0.0);
  t.fixed.assign(static_cast<size_t>(out_size * t.span), 0);
  for (int64_t o = 0; o < out_size; ++o) {
    const double centre = (static_cast<double>(o) + 0.5) * scale;  // in input coordinates
    const int64_t lo = std::max<int64_t>(0, static_cast<int64_t>(centre - support + 0.5));
    const int64_t hi = std::min<int64_t>(in_size, static_cast<int64_t>(centre + support + 0.5));
    double* w = &t.weight[static_cast<size_t>(o * t.span)];
    double total = 0.0;
    for (int64_t i = lo; i < hi; ++i) {
      w[i - lo] = triangle((static_cast<double>(i) - centre + 0.5) * inv_widen);
      total += w[i - lo];
    }
    int32_t* q = &t.fixed[static_cast<size_t>(o * t.span)];
    for (int64_t k = 0; k < hi - lo; ++k) {
      if (total != 0.0) w[k] /= total;
      q[k] = static_cast<int32_t>(0.5 + w[k] * static_cast<double>(1 << kWeightBits));  // w >= 0
    }
    t.first[static_cast<size_t>(o)] = lo;
    t.count[static_cast<size_t>(o)] = std::max<int64_t>(0, hi - lo);
  }
  return t;
}

uint8_t clip8(int32_t acc) {
  const int32_t v = acc >> kWeightBits;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

}  // namespace
}  // namespace avtune
