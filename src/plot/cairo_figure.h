#pragma once
// Internal to src/plot: one figure being drawn with cairo, into memory, in one of the FigureFormats;
// text in DejaVu Sans through cairo's toy font API (fontconfig resolves the face). Coordinates are
// cairo's: (0, 0) is the top-left corner of the top-left pixel, so pixel (i, j) has its centre at
// (i + 0.5, j + 0.5).
#include <cairo.h>

#include <string>

#include "avtune/plot/chart.h"

namespace avtune::plot {

enum class MarkerShape { Circle, Square, Triangle, Diamond };

struct Font {
  double size = 12;
  bool bold = false;
};

class CairoFigure {
 public:
  // A white figure of width x height pixels (SVG: px, PDF: pt); cairo failures throw avtune::Error.
  CairoFigure(FigureFormat format, int width, int height);
  ~CairoFigure();
  CairoFigure(const CairoFigure&) = delete;
  CairoFigure& operator=(const CairoFigure&) = delete;

  cairo_t* cr() const { return cr_; }
  int width() const { return width_; }
  int height() const { return height_; }

  void set_color(Color c, double alpha = 1.0);

  // Text boxes: text_width(s) wide (the advance) and text_height() tall (ascent + descent).
  double text_width(const std::string& s, const Font& f);
  double text_height(const Font& f);
  double ascent(const Font& f);
  double cap_height(const Font& f);  // of a capital H: its middle lies cap_height / 2 above the baseline
  // (x, y) is the top-left of the text's box. Vertical text is turned 90 degrees counter-clockwise
  // (reads bottom to top); its box is then text_height() wide and text_width(s) tall, (x, y) still at
  // its top-left.
  void text(double x, double y, const std::string& s, Color c, const Font& f, bool vertical = false);

  // Shapes; stroke widths in pixels.
  void line(double x0, double y0, double x1, double y1, Color c, double width, double alpha = 1.0);
  void fill_rect(double x, double y, double w, double h, Color c, double alpha = 1.0);
  // A marker about `size` pixels across, centred on (cx, cy).
  void marker(double cx, double cy, MarkerShape shape, double size, Color c, double alpha = 1.0);

  // Drawing is limited to the rectangle until reset_clip().
  void clip(double x, double y, double w, double h);
  void reset_clip();

  // Finishes the figure and returns its encoded bytes; the figure cannot be drawn on afterwards.
  std::string finish();

 private:
  void use_font(const Font& f);
  void check(const char* what);

  FigureFormat format_;
  int width_, height_;
  std::string bytes_;  // SVG and PDF stream here as cairo writes them
  cairo_surface_t* surface_ = nullptr;
  cairo_t* cr_ = nullptr;
  bool finished_ = false;
};

// Writes encoded figure bytes atomically to `path`; failures throw avtune::Error naming the path and
// leave neither the file nor a temp file behind.
void write_figure_file(const std::string& path, const std::string& bytes);

}  // namespace avtune::plot
