#include "avtune/report/canvas.h"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <new>

#include "avtune/report/bitmap_font.h"
#include "avtune/util/atomic_file.h"
#include "avtune/util/error.h"

namespace avtune {

namespace {

constexpr const char* kComponent = "canvas";
constexpr int kMaxSide = 32768;

bool finite(double v) { return std::isfinite(v); }

// Liang-Barsky: trims the segment to the box; false when nothing is left. Keeps the pixel loops bounded
// whatever coordinates a caller passes.
bool clip_segment(double& x0, double& y0, double& x1, double& y1, double lo_x, double lo_y, double hi_x,
                  double hi_y) {
  double t0 = 0, t1 = 1;
  const double dx = x1 - x0, dy = y1 - y0;
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {x0 - lo_x, hi_x - x0, y0 - lo_y, hi_y - y0};
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0) {
      if (q[i] < 0) return false;
      continue;
    }
    const double t = q[i] / p[i];
    if (p[i] < 0) t0 = std::max(t0, t);
    else t1 = std::min(t1, t);
    if (t0 > t1) return false;
  }
  const double ax = x0, ay = y0;
  x0 = ax + t0 * dx;
  y0 = ay + t0 * dy;
  x1 = ax + t1 * dx;
  y1 = ay + t1 * dy;
  return true;
}

// PNG encoding into memory (libpng reports errors by longjmp, so no C++ object lives across setjmp).
struct PngSink {
  std::string* bytes = nullptr;
  char message[256] = {0};
};

[[noreturn]] void on_png_error(png_structp png, png_const_charp msg) {
  auto* sink = static_cast<PngSink*>(png_get_error_ptr(png));
  std::snprintf(sink->message, sizeof sink->message, "%s", msg);
  png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp) {}

void on_png_write(png_structp png, png_bytep src, size_t len) {
  auto* sink = static_cast<PngSink*>(png_get_io_ptr(png));
  bool ok = true;
  try {
    sink->bytes->append(reinterpret_cast<const char*>(src), len);
  } catch (const std::bad_alloc&) {
    ok = false;  // png_error longjmps: leave the catch block first
  }
  if (!ok) png_error(png, "out of memory");
}

void on_png_flush(png_structp) {}

bool encode_rgb_png(int width, int height, png_bytepp rows, PngSink* sink) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, sink, on_png_error, on_png_warning);
  if (png == nullptr) {
    std::snprintf(sink->message, sizeof sink->message, "libpng could not start (out of memory)");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, info ? &info : nullptr);
    return false;
  }
  png_set_write_fn(png, sink, on_png_write, on_png_flush);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

}  // namespace

Canvas::Canvas(int width, int height, Rgb background) : width_(width), height_(height) {
  if (width < 1 || height < 1 || width > kMaxSide || height > kMaxSide)
    fail(kComponent, "a size of 1.." + std::to_string(kMaxSide) + " pixels a side",
         std::to_string(width) + "x" + std::to_string(height));
  rgb_.resize(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
  for (size_t i = 0; i < rgb_.size(); i += 3) {
    rgb_[i] = background.r;
    rgb_[i + 1] = background.g;
    rgb_[i + 2] = background.b;
  }
  reset_clip();
}

Rgb Canvas::pixel(int x, int y) const {
  if (x < 0 || y < 0 || x >= width_ || y >= height_)
    fail(kComponent, "a pixel inside " + std::to_string(width_) + "x" + std::to_string(height_),
         "(" + std::to_string(x) + ", " + std::to_string(y) + ")");
  const size_t i = (static_cast<size_t>(y) * static_cast<size_t>(width_) + static_cast<size_t>(x)) * 3;
  return Rgb{rgb_[i], rgb_[i + 1], rgb_[i + 2]};
}

void Canvas::set_clip(int x, int y, int w, int h) {
  clip_x0_ = std::clamp(x, 0, width_);
  clip_y0_ = std::clamp(y, 0, height_);
  clip_x1_ = std::clamp(x + std::max(w, 0), clip_x0_, width_);
  clip_y1_ = std::clamp(y + std::max(h, 0), clip_y0_, height_);
}

void Canvas::reset_clip() {
  clip_x0_ = clip_y0_ = 0;
  clip_x1_ = width_;
  clip_y1_ = height_;
}

void Canvas::span(int x0, int x1, int y, Rgb c, double alpha) {
  if (y < clip_y0_ || y >= clip_y1_) return;
  x0 = std::max(x0, clip_x0_);
  x1 = std::min(x1, clip_x1_ - 1);
  if (x0 > x1 || !(alpha > 0)) return;
  uint8_t* p = rgb_.data() + (static_cast<size_t>(y) * static_cast<size_t>(width_) + static_cast<size_t>(x0)) * 3;
  if (alpha >= 1) {
    for (int x = x0; x <= x1; ++x, p += 3) {
      p[0] = c.r;
      p[1] = c.g;
      p[2] = c.b;
    }
    return;
  }
  auto mix = [alpha](uint8_t under, uint8_t over) {
    return static_cast<uint8_t>(std::lround(under + (static_cast<double>(over) - under) * alpha));
  };
  for (int x = x0; x <= x1; ++x, p += 3) {
    p[0] = mix(p[0], c.r);
    p[1] = mix(p[1], c.g);
    p[2] = mix(p[2], c.b);
  }
}

void Canvas::set_pixel(int x, int y, Rgb c, double alpha) { span(x, x, y, c, alpha); }

void Canvas::fill_rect(int x, int y, int w, int h, Rgb c, double alpha) {
  const int y0 = std::max(y, clip_y0_), y1 = std::min(y + h, clip_y1_);
  for (int yy = y0; yy < y1; ++yy) span(x, x + w - 1, yy, c, alpha);
}

void Canvas::rect(int x, int y, int w, int h, Rgb c, int thickness) {
  const int t = std::max(1, std::min({thickness, w / 2 + 1, h / 2 + 1}));
  fill_rect(x, y, w, t, c);
  fill_rect(x, y + h - t, w, t, c);
  fill_rect(x, y + t, t, h - 2 * t, c);
  fill_rect(x + w - t, y + t, t, h - 2 * t, c);
}

void Canvas::line(double fx0, double fy0, double fx1, double fy1, Rgb c, int thickness, double alpha) {
  if (!finite(fx0) || !finite(fy0) || !finite(fx1) || !finite(fy1)) return;
  thickness = std::max(1, thickness);
  const double m = thickness + 2.0;
  if (!clip_segment(fx0, fy0, fx1, fy1, -m, -m, width_ - 1 + m, height_ - 1 + m)) return;
  int x0 = static_cast<int>(std::lround(fx0)), y0 = static_cast<int>(std::lround(fy0));
  int x1 = static_cast<int>(std::lround(fx1)), y1 = static_cast<int>(std::lround(fy1));
  const bool steep = std::abs(y1 - y0) > std::abs(x1 - x0);
  if (steep) {
    std::swap(x0, y0);
    std::swap(x1, y1);
  }
  if (x0 > x1) {
    std::swap(x0, x1);
    std::swap(y0, y1);
  }
  // Walk the major axis; each step paints a span across it, long enough that slanted lines look as
  // thick as straight ones (thickness / cos(angle)), so no pixel is painted twice.
  const int dx = x1 - x0, dy = std::abs(y1 - y0), ystep = y0 < y1 ? 1 : -1;
  const int across =
      dx == 0 ? thickness : std::max(1, static_cast<int>(std::lround(thickness * std::hypot(dx, dy) / dx)));
  const int lo = -(across - 1) / 2, hi = lo + across - 1;
  int err = dx / 2, y = y0;
  for (int x = x0; x <= x1; ++x) {
    if (steep) span(y + lo, y + hi, x, c, alpha);
    else
      for (int k = lo; k <= hi; ++k) span(x, x, y + k, c, alpha);
    err -= dy;
    if (err < 0) {
      y += ystep;
      err += dx;
    }
  }
}

void Canvas::dashed_line(double x0, double y0, double x1, double y1, Rgb c, int thickness, double dash, double gap) {
  if (!finite(x0) || !finite(y0) || !finite(x1) || !finite(y1)) return;
  const double m = thickness + 2.0;
  if (!clip_segment(x0, y0, x1, y1, -m, -m, width_ - 1 + m, height_ - 1 + m)) return;
  dash = std::max(1.0, dash);
  gap = std::max(1.0, gap);
  const double len = std::hypot(x1 - x0, y1 - y0);
  if (len == 0) {
    line(x0, y0, x1, y1, c, thickness);
    return;
  }
  const double ux = (x1 - x0) / len, uy = (y1 - y0) / len;
  for (double t = 0; t < len; t += dash + gap) {
    const double e = std::min(len, t + dash - 1);  // end pixel included: dash pixels long
    line(x0 + ux * t, y0 + uy * t, x0 + ux * e, y0 + uy * e, c, thickness);
  }
}

void Canvas::polyline(const std::vector<PointD>& points, Rgb c, int thickness) {
  for (size_t i = 0; i + 1 < points.size(); ++i)
    line(points[i].x, points[i].y, points[i + 1].x, points[i + 1].y, c, thickness);
  if (thickness >= 3)
    for (size_t i = 1; i + 1 < points.size(); ++i) fill_circle(points[i].x, points[i].y, thickness / 2.0, c);
}

void Canvas::fill_polygon(const std::vector<PointD>& points, Rgb c, double alpha) {
  if (points.size() < 3) return;
  double lo = points[0].y, hi = points[0].y;
  for (const auto& p : points) {
    if (!finite(p.x) || !finite(p.y)) return;
    lo = std::min(lo, p.y);
    hi = std::max(hi, p.y);
  }
  const int y0 = std::max(clip_y0_, static_cast<int>(std::ceil(std::max(lo, -1.0))));
  const int y1 = std::min(clip_y1_ - 1, static_cast<int>(std::floor(std::min(hi, static_cast<double>(height_)))));
  std::vector<double> xs;
  for (int y = y0; y <= y1; ++y) {
    xs.clear();
    for (size_t i = 0; i < points.size(); ++i) {
      const PointD& a = points[i];
      const PointD& b = points[(i + 1) % points.size()];
      // Half-open in y, so a vertex shared by two edges counts once.
      if ((a.y <= y && b.y > y) || (b.y <= y && a.y > y)) xs.push_back(a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y));
    }
    std::sort(xs.begin(), xs.end());
    for (size_t i = 0; i + 1 < xs.size(); i += 2) {
      const double xa = std::clamp(xs[i], -1.0, static_cast<double>(width_) + 1);
      const double xb = std::clamp(xs[i + 1], -1.0, static_cast<double>(width_) + 1);
      span(static_cast<int>(std::ceil(xa)), static_cast<int>(std::ceil(xb)) - 1, y, c, alpha);
    }
  }
}

void Canvas::fill_circle(double cx, double cy, double radius, Rgb c, double alpha) {
  if (!finite(cx) || !finite(cy) || !finite(radius) || radius <= 0) return;
  const double r2 = radius * radius;
  const double top = std::max(cy - radius, -1.0), bottom = std::min(cy + radius, static_cast<double>(height_));
  const int y0 = std::max(clip_y0_, static_cast<int>(std::ceil(top)));
  const int y1 = std::min(clip_y1_ - 1, static_cast<int>(std::floor(bottom)));
  for (int y = y0; y <= y1; ++y) {
    const double h = std::sqrt(std::max(0.0, r2 - (y - cy) * (y - cy)));
    const double xa = std::max(cx - h, -1.0), xb = std::min(cx + h, static_cast<double>(width_));
    span(static_cast<int>(std::ceil(xa)), static_cast<int>(std::floor(xb)), y, c, alpha);
  }
}

void Canvas::marker(double cx, double cy, MarkerShape shape, double size, Rgb c, double alpha) {
  if (!finite(cx) || !finite(cy) || !(size > 0)) return;
  const double h = size / 2;
  switch (shape) {
    case MarkerShape::Circle:
      fill_circle(cx, cy, h, c, alpha);
      break;
    case MarkerShape::Square: {
      const double s = h * 0.85;  // a square looks heavier than a circle of the same width
      fill_polygon({{cx - s, cy - s}, {cx + s, cy - s}, {cx + s, cy + s}, {cx - s, cy + s}}, c, alpha);
      break;
    }
    case MarkerShape::Triangle: {
      const double s = h * 1.15;
      fill_polygon({{cx, cy - s}, {cx + s, cy + s * 0.8}, {cx - s, cy + s * 0.8}}, c, alpha);
      break;
    }
    case MarkerShape::Diamond: {
      const double s = h * 1.2;
      fill_polygon({{cx, cy - s}, {cx + s, cy}, {cx, cy + s}, {cx - s, cy}}, c, alpha);
      break;
    }
  }
}

int Canvas::text_width(const std::string& s, int scale) {
  const auto n = static_cast<int>(decode_utf8(s).size());
  return n == 0 ? 0 : (n * kGlyphAdvance - (kGlyphAdvance - kGlyphWidth)) * std::max(1, scale);
}

int Canvas::text_height(int scale) { return kGlyphRows * std::max(1, scale); }

void Canvas::text(int x, int y, const std::string& s, Rgb c, int scale, bool vertical) {
  scale = std::max(1, scale);
  const std::u32string cps = decode_utf8(s);
  const int w = text_width(s, scale);
  for (size_t i = 0; i < cps.size(); ++i) {
    const GlyphRows& g = glyph(cps[i]);
    const int u0 = static_cast<int>(i) * kGlyphAdvance * scale;
    for (int r = 0; r < kGlyphRows; ++r) {
      for (int col = 0; col < kGlyphWidth; ++col) {
        if (((g[r] >> (kGlyphWidth - 1 - col)) & 1) == 0) continue;
        const int u = u0 + col * scale, v = r * scale;
        if (vertical) fill_rect(x + v, y + w - u - scale, scale, scale, c);
        else fill_rect(x + u, y + v, scale, scale, c);
      }
    }
  }
}

std::string Canvas::encode_png() const {
  std::vector<png_bytep> rows(static_cast<size_t>(height_));
  auto* base = const_cast<uint8_t*>(rgb_.data());  // libpng's row type is non-const; it only reads
  for (int y = 0; y < height_; ++y) rows[static_cast<size_t>(y)] = base + static_cast<size_t>(y) * width_ * 3;
  std::string bytes;
  PngSink sink;
  sink.bytes = &bytes;
  if (!encode_rgb_png(width_, height_, rows.data(), &sink))
    fail(kComponent, "a PNG encoding", std::string("libpng error: ") + sink.message);
  return bytes;
}

void Canvas::write_png(const std::string& path) const {
  std::string bytes;
  try {
    bytes = encode_png();
  } catch (const Error& e) {
    fail(kComponent, "a PNG encoding", e.what(), {path});
  }
  // AtomicFile creates missing folders (std::filesystem errors) and removes its temp file on failure.
  try {
    write_file_atomic(path, bytes);
  } catch (const Error& e) {
    fail(kComponent, "a writable PNG path", e.what(), {path});
  } catch (const std::filesystem::filesystem_error& e) {
    fail(kComponent, "a writable PNG path", e.what(), {path});
  }
}

}  // namespace avtune
