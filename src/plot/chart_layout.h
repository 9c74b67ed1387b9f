#pragma once
// Internal to src/plot: what the three chart kinds share. Data checks and axis ranges
// (chart.cpp), axes with ticks that fit (axes.cpp), and the Frame around the plot: title,
// legend, axes, tick labels, axis titles (frame.cpp, legend.cpp).
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "avtune/plot/chart.h"
#include "cairo_figure.h"

namespace avtune::plot {

constexpr const char* kComponent = "chart";

constexpr Color kInk = color_hex(0x222222);
constexpr Color kAxis = color_hex(0x444444);
constexpr Color kGrid = color_hex(0xE6E6E6);
constexpr Color kMuted = color_hex(0x808080);
constexpr Color kNoClass = color_hex(0xB0B0B0);
constexpr Color kLegendBorder = color_hex(0xBBBBBB);
constexpr Color kWhite = color_hex(0xFFFFFF);

constexpr Font kLabelFont{12, false};  // tick labels, legend, axis titles, category labels
constexpr Font kTitleFont{16, true};
constexpr Font kNoteFont{20, false};

// ---------------------------------------------------------------------------------------------------
// Input (chart.cpp)

struct Range {
  double lo = 0, hi = 1;
};

// Finite values seen so far.
struct Extent {
  double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
  void add(double v);
  bool empty() const { return lo > hi; }
};

// Fixed ends win; free ends pad the data by pad_lo / pad_hi of its span. A single value (or all equal)
// gets a span of 10% of its size (1 for 0); no data gives 0..1.
Range resolve_range(Extent data, const std::optional<double>& fixed_lo, const std::optional<double>& fixed_hi,
                    double pad_lo, double pad_hi);

// Figure size and fixed ends; throws avtune::Error.
void validate_style(const ChartStyle& s);
// x vs y, err and color_class sizes of series `index`; throws avtune::Error naming it.
void check_sizes(const Series& s, size_t index, bool x_optional);
std::string quoted(const std::string& name);

inline double x_at(const Series& s, size_t i) { return s.x.empty() ? static_cast<double>(i) : s.x[i]; }
inline bool in_range(const PlotArea& a, double x, double y) {
  return x >= a.x_min && x <= a.x_max && y >= a.y_min && y <= a.y_max;
}
MarkerShape shape_for(size_t series_index);

// Cairo coordinates of a data point: PlotArea's pixel centres.
inline double cx(const PlotArea& a, double x) { return a.px(x) + 0.5; }
inline double cy(const PlotArea& a, double y) { return a.py(y) + 0.5; }

// ---------------------------------------------------------------------------------------------------
// Text that fits (frame.cpp)

// Drops trailing code points (whole UTF-8 sequences) until `s` plus ".." fits in max_px.
std::string fit_text(CairoFigure& fig, const std::string& s, double max_px, const Font& f = kLabelFont);
// Greedy word wrap into at most max_lines lines of max_px; what is left over is cut from the last line.
std::vector<std::string> wrap_text(CairoFigure& fig, const std::string& s, double max_px, const Font& f,
                                   size_t max_lines);

// ---------------------------------------------------------------------------------------------------
// Axes (axes.cpp)

struct Axis {
  Range range;
  std::vector<double> ticks;
  std::vector<std::string> labels;
  double label_width = 0;  // widest label
};

// As many ticks as fit: about one per 90 px across, 50 px up, fewer while labels would collide.
// `integers`: data on whole numbers (epochs) gets no ticks between them.
Axis make_axis(CairoFigure& fig, Range r, int pixels, bool horizontal, bool integers = false);

// ---------------------------------------------------------------------------------------------------
// Legend (legend.cpp)

enum class Swatch { Line, Box, Marker };

struct LegendEntry {
  std::string name;
  Color color;
  Swatch kind = Swatch::Box;
  MarkerShape shape = MarkerShape::Circle;
  bool with_marker = false;  // Line: a marker on the segment
};

// Entries flow left to right in centred rows no wider than max_w, in a box above the plot.
class Legend {
 public:
  // Unnamed entries are dropped; names too long for a row are cut.
  Legend(CairoFigure& fig, std::vector<LegendEntry> entries, double max_w);
  bool empty() const { return entries_.empty(); }
  double height() const;
  double width() const { return width_ + 2 * kPad; }
  // The box with its top-left at (x, y).
  void draw(CairoFigure& fig, double x, double y) const;

 private:
  static constexpr double kPad = 8, kGap = 18, kSwatchGap = 5;
  double row_height() const { return row_h_; }
  std::vector<LegendEntry> entries_;
  std::vector<std::vector<size_t>> rows_;  // entries per row
  std::vector<double> row_w_, entry_w_;
  double width_ = 0, row_h_ = 16;
};

// ---------------------------------------------------------------------------------------------------
// The frame around the plot (frame.cpp)

class Frame {
 public:
  // Lays out title, legend, axes and labels; `categories` (bar charts) replaces the x ticks with one
  // label per category at x = i + 0.5. Throws when the plot area would be too small.
  Frame(CairoFigure& fig, const ChartStyle& style, std::vector<LegendEntry> legend, Range xr, Range yr,
        const std::vector<std::string>* categories, bool integer_x = false);

  const PlotArea& area() const { return area_; }

  // Clip to the plot area widened by `extra` pixels.
  void clip_to_area(double extra = 0);
  void draw_grid(bool vertical);
  void draw_note(const std::string& note);
  // Axes box, ticks, tick labels, axis titles, title and legend (unclipped).
  void draw_decorations();

 private:
  double layout_categories(double plot_w);  // the height the category labels need below the ticks

  CairoFigure& fig_;
  const ChartStyle& style_;
  Legend legend_;
  const std::vector<std::string>* categories_;
  std::vector<std::string> title_;  // one or two lines
  double title_y_ = 0, legend_y_ = 0;
  Axis x_, y_;
  std::vector<std::string> category_labels_;
  bool vertical_labels_ = false;
  size_t label_every_ = 1;
  PlotArea area_;
};

}  // namespace avtune::plot
