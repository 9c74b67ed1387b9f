#pragma once
// Torch-free helpers for the plot tests: PNGs read back with libpng's simplified API, colour and SVG
// checks (temp dirs and error messages come from test_support_base.h).
#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "avtune/plot/chart.h"
#include "avtune/util/error.h"
#include "../test_support_base.h"

namespace avtune {
// Readable colours in failure messages.
inline void PrintTo(const Color& c, std::ostream* os) {
  *os << "rgb(" << int(c.r) << ", " << int(c.g) << ", " << int(c.b) << ")";
}
}  // namespace avtune

namespace avtune::plot_test {

namespace fs = std::filesystem;

constexpr Color kWhite{255, 255, 255};

using test::error_of;
using test::TempDir;

inline std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Largest channel difference.
inline int distance(Color a, Color b) {
  return std::max({std::abs(a.r - b.r), std::abs(a.g - b.g), std::abs(a.b - b.b)});
}

// A PNG read back with libpng itself, as 8-bit RGB.
struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
  Color at(int x, int y) const {
    const size_t i = (static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) * 3;
    return Color{rgb[i], rgb[i + 1], rgb[i + 2]};
  }
  Color at(double x, double y) const { return at(static_cast<int>(std::lround(x)), static_cast<int>(std::lround(y))); }
  // Whether a pixel within `tol` of colour c lies within `r` pixels (Chebyshev) of (x, y): anti-aliased
  // edges blend with what is under them, so look around and allow a little difference.
  bool near(double fx, double fy, Color c, int r = 2, int tol = 24) const {
    const int x0 = static_cast<int>(std::lround(fx)), y0 = static_cast<int>(std::lround(fy));
    for (int y = y0 - r; y <= y0 + r; ++y)
      for (int x = x0 - r; x <= x0 + r; ++x)
        if (x >= 0 && y >= 0 && x < width && y < height && distance(at(x, y), c) <= tol) return true;
    return false;
  }
};

inline Image decode_png(const std::string& bytes, const std::string& what) {
  Image out;
  const unsigned char expected[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  EXPECT_TRUE(bytes.size() >= 8 && std::memcmp(bytes.data(), expected, 8) == 0)
      << what << " does not start with the PNG signature";
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, bytes.data(), bytes.size())) {
    ADD_FAILURE() << "libpng cannot read " << what << ": " << img.message;
    return out;
  }
  img.format = PNG_FORMAT_RGB;
  out.width = static_cast<int>(img.width);
  out.height = static_cast<int>(img.height);
  out.rgb.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, out.rgb.data(), 0, nullptr)) {
    ADD_FAILURE() << "libpng cannot decode " << what << ": " << img.message;
    out = Image{};
  }
  return out;
}

inline Image read_png_rgb(const std::string& path) { return decode_png(read_all(path), path); }

// Whether p is c blended over white at least min_alpha opaque (the same opacity in every channel that c moves far from white).
inline bool tint_of(Color p, Color c, double min_alpha = 0.2) {
  if (p == kWhite) return false;
  const int pc[3] = {p.r, p.g, p.b}, cc[3] = {c.r, c.g, c.b};
  double lo = 2, hi = -1;
  for (int k = 0; k < 3; ++k) {
    if (255 - cc[k] < 40) continue;
    const double alpha = (255.0 - pc[k]) / (255.0 - cc[k]);
    lo = std::min(lo, alpha);
    hi = std::max(hi, alpha);
  }
  return lo > min_alpha && hi <= 1.0 + 1e-9 && hi - lo < 0.08;
}

inline bool gray(Color p, int below) { return p.r == p.g && p.g == p.b && p.r < below; }

inline bool has_temp_files(const fs::path& dir) {
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().filename().string().find(".tmp.") != std::string::npos) return true;
  return false;
}

inline size_t count_files(const fs::path& dir) {
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

// The value of attribute `name` on the root <svg ...> element.
inline std::string svg_attribute(const std::string& svg, const std::string& name) {
  const size_t open = svg.find("<svg");
  if (open == std::string::npos) return "";
  const size_t close = svg.find('>', open);
  const std::string tag = svg.substr(open, close - open);
  const size_t at = tag.find(" " + name + "=\"");
  if (at == std::string::npos) return "";
  const size_t start = at + name.size() + 3;
  return tag.substr(start, tag.find('"', start) - start);
}

}  // namespace avtune::plot_test
