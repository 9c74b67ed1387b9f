#pragma once
// An RGB raster to draw figures on (lines, rectangles, markers, polygons, bitmap-font text) and write
// as PNG. Torch-free. Coordinates are pixel indices: (0, 0) is the top-left pixel's centre, x grows
// right and y down; shapes take doubles and cover the pixels whose centres fall inside them.
#include <cstdint>
#include <string>
#include <vector>

namespace avtune {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb& o) const { return r == o.r && g == o.g && b == o.b; }
  bool operator!=(const Rgb& o) const { return !(*this == o); }
};

// 0xRRGGBB -> Rgb.
constexpr Rgb rgb_hex(uint32_t hex) {
  return Rgb{static_cast<uint8_t>(hex >> 16), static_cast<uint8_t>(hex >> 8), static_cast<uint8_t>(hex)};
}

struct PointD {
  double x = 0, y = 0;
};

enum class MarkerShape { Circle, Square, Triangle, Diamond };

class Canvas {
 public:
  Canvas(int width, int height, Rgb background = Rgb{255, 255, 255});

  int width() const { return width_; }
  int height() const { return height_; }
  Rgb pixel(int x, int y) const;  // throws avtune::Error outside the canvas

  // Drawing is limited to the clip rectangle (the whole canvas unless set).
  void set_clip(int x, int y, int w, int h);
  void reset_clip();

  // alpha in [0, 1] blends over what is there; every primitive touches each pixel at most once.
  void set_pixel(int x, int y, Rgb c, double alpha = 1.0);
  void fill_rect(int x, int y, int w, int h, Rgb c, double alpha = 1.0);
  void rect(int x, int y, int w, int h, Rgb c, int thickness = 1);  // outline, drawn inside the box
  // Bresenham line `thickness` pixels wide (measured across the line), end points included.
  void line(double x0, double y0, double x1, double y1, Rgb c, int thickness = 1, double alpha = 1.0);
  void dashed_line(double x0, double y0, double x1, double y1, Rgb c, int thickness = 1, double dash = 6,
                   double gap = 4);
  // Connected segments; round joints for thick lines so corners do not notch.
  void polyline(const std::vector<PointD>& points, Rgb c, int thickness = 1);
  void fill_polygon(const std::vector<PointD>& points, Rgb c, double alpha = 1.0);  // even-odd rule
  void fill_circle(double cx, double cy, double radius, Rgb c, double alpha = 1.0);
  // A marker about `size` pixels across, centred on (cx, cy).
  void marker(double cx, double cy, MarkerShape shape, double size, Rgb c, double alpha = 1.0);

  // Text in avtune's bitmap font (UTF-8; glyphs it lacks draw as '?'), `scale` pixels per font pixel.
  // (x, y) is the top-left of the text's box, text_width(s) x text_height() before rotation. Vertical
  // text is turned 90 degrees counter-clockwise (reads bottom to top); its box is then
  // text_height() wide and text_width(s) tall, still with (x, y) at its top-left.
  void text(int x, int y, const std::string& s, Rgb c, int scale = 1, bool vertical = false);
  static int text_width(const std::string& s, int scale = 1);
  static int text_height(int scale = 1);  // including descenders

  // The canvas as 8-bit RGB PNG bytes, and written atomically (temp file + rename); errors throw
  // avtune::Error naming the path.
  std::string encode_png() const;
  void write_png(const std::string& path) const;

 private:
  void span(int x0, int x1, int y, Rgb c, double alpha);  // one row, x0..x1 inclusive

  int width_, height_;
  std::vector<uint8_t> rgb_;
  int clip_x0_ = 0, clip_y0_ = 0, clip_x1_ = 0, clip_y1_ = 0;  // half-open [x0, x1) x [y0, y1)
};

}  // namespace avtune
