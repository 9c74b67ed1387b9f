#pragma once
// Line, grouped-bar and scatter charts drawn with cairo (anti-aliased, DejaVu Sans text) and written
// as PNG, SVG or PDF, picked by the path's extension: avtune's training curves, per-layer
// dead-channel ratios, per-sample audio vs visual confidence. Torch-free; see docs/plot.md.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace avtune {

// ---------------------------------------------------------------------------------------------------
// Output formats

enum class FigureFormat { Png, Svg, Pdf };

// "png", "svg" or "pdf" (as given to --figure-format); anything else throws avtune::Error naming
// "--figure-format" and "png|svg|pdf".
FigureFormat parse_figure_format(const std::string& name);
// "png", "svg" or "pdf" (no dot).
const char* extension(FigureFormat format);
// The format a path's extension (.png, .svg, .pdf, any case) asks for; anything else throws
// avtune::Error naming the path and the expected extensions.
FigureFormat figure_format_for_path(const std::string& path);

// ---------------------------------------------------------------------------------------------------
// Chart description

struct Color {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Color& o) const { return r == o.r && g == o.g && b == o.b; }
  bool operator!=(const Color& o) const { return !(*this == o); }
};

// 0xRRGGBB -> Color.
constexpr Color color_hex(uint32_t hex) {
  return Color{static_cast<uint8_t>(hex >> 16), static_cast<uint8_t>(hex >> 8), static_cast<uint8_t>(hex)};
}

struct ChartStyle {
  std::string title, x_label, y_label;
  int width = 900, height = 500;  // pixels (PNG), px (SVG) or pt (PDF); 160..16384 a side
  // Fixed axis ends (e.g. 0..1 for ratios); unset ends follow the data. Bar charts ignore x_*.
  std::optional<double> x_min, x_max, y_min, y_max;
  bool legend = true;   // entries for the series with a name, above the plot
  bool markers = true;  // line charts: a marker at each point (scatter charts always draw markers)
  std::vector<std::string> class_names;  // scatter: legend names of Series::color_class values 0, 1, ...
  std::string note;  // bar charts: a note in the middle of the plot (e.g. "none found" over all-zero bars)
};

struct Series {
  std::string name;
  std::vector<double> x, y;
  std::vector<double> err;       // optional, one per y: line band y +- err, or bar error bar; empty = none
  std::vector<int> color_class;  // scatter, optional: palette index per point (negative: gray)
};

// Where the data went: inner plot pixels [left, left + width) x [top, top + height), axes just outside.
// x_min maps to the centre of column `left`, x_max to that of `left + width - 1`; y_max to row `top`.
// In SVG and PDF one pixel is one unit of the page (px, pt), so the same numbers hold there.
struct PlotArea {
  int left = 0, top = 0, width = 1, height = 1;
  double x_min = 0, x_max = 1, y_min = 0, y_max = 1;
  double px(double x) const { return left + (x - x_min) / (x_max - x_min) * (width - 1); }
  double py(double y) const { return top + (y_max - y) / (y_max - y_min) * (height - 1); }
};

// The qualitative palette: 10 distinguishable colours, cycling after that.
constexpr size_t kChartPaletteSize = 10;
Color chart_color(size_t index);

// Axis ticks: the step of 1, 2 or 5 x 10^k giving about `target` intervals over `span`, its
// multiples within [lo, hi], and labels with as many decimals as the step needs.
double nice_step(double span, int target);
std::vector<double> nice_ticks(double lo, double hi, int target);
std::string format_tick(double value, double step);

// Bar charts put category i on x in [i, i + 1); the bar of group g (of `groups`) is centred here and
// bar_width(groups) wide, in the same units.
double bar_center(size_t category, size_t group, size_t groups);
double bar_width(size_t groups);

// ---------------------------------------------------------------------------------------------------
// Drawing

// A chart encoded in memory (PNG, SVG or PDF bytes) and where its data went.
struct RenderedChart {
  std::string bytes;
  PlotArea area;
};

// Each series is a curve through its (x, y) points (x empty: 0, 1, 2, ...), with a shaded y +- err
// band when err is given. Non-finite points are skipped and break the curve.
RenderedChart render_line_chart(FigureFormat format, const ChartStyle& style, const std::vector<Series>& series);
// groups[g].y[i] is group g's value for categories[i] (x unused); bars start at 0, so negative values
// hang down; err draws error bars. Category labels turn vertical when they do not fit side by side.
RenderedChart render_bar_chart(FigureFormat format, const ChartStyle& style, const std::vector<std::string>& categories,
                               const std::vector<Series>& groups);
// Each set's (x, y) points as small markers (smaller and translucent when there are many), coloured by
// color_class when given; `diagonal` adds a dashed y = x reference line.
RenderedChart render_scatter_chart(FigureFormat format, const ChartStyle& style, const std::vector<Series>& sets,
                                   bool diagonal);

// Render in the format of the path's extension (.png, .svg, .pdf) and write atomically (temp file +
// rename). Size mismatches (x vs y, values vs categories, err, classes) throw avtune::Error naming the
// series; so do other extensions and unwritable paths (naming the path), leaving no file behind.
// Empty data draws the axes and "no data".
PlotArea write_line_chart(const std::string& path, const ChartStyle& style, const std::vector<Series>& series);
PlotArea write_bar_chart(const std::string& path, const ChartStyle& style, const std::vector<std::string>& categories,
                         const std::vector<Series>& groups);
PlotArea write_scatter_chart(const std::string& path, const ChartStyle& style, const std::vector<Series>& sets,
                             bool diagonal);

}  // namespace avtune
