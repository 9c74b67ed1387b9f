#include "avtune/report/chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

#include "avtune/util/error.h"

namespace avtune {

namespace {

constexpr const char* kComponent = "chart";

constexpr Rgb kPalette[kChartPaletteSize] = {
    rgb_hex(0x2E6FBA),  // blue
    rgb_hex(0xF08A24),  // orange
    rgb_hex(0x2F9E44),  // green
    rgb_hex(0xD63A3A),  // red
    rgb_hex(0x8A5CC2),  // purple
    rgb_hex(0x8C5A3C),  // brown
    rgb_hex(0xD66BB0),  // pink
    rgb_hex(0x1AA6B7),  // teal
    rgb_hex(0xA8A82A),  // olive
    rgb_hex(0x6E6E6E),  // gray
};
constexpr Rgb kInk = rgb_hex(0x222222);
constexpr Rgb kAxis = rgb_hex(0x444444);
constexpr Rgb kGrid = rgb_hex(0xE6E6E6);
constexpr Rgb kMuted = rgb_hex(0x888888);
constexpr Rgb kNoClass = rgb_hex(0xB0B0B0);
constexpr Rgb kLegendBorder = rgb_hex(0xBBBBBB);

constexpr int kMargin = 12;       // canvas edge to anything drawn
constexpr int kTickLen = 5;
constexpr int kTickGap = 4;       // tick to its label
constexpr int kTitleScale = 2;
constexpr int kCapCenter = 3;     // rows from a text box's top to the middle of its capitals
constexpr int kLegendRow = 14;
constexpr int kMinSide = 160, kMaxSide = 16384;
constexpr MarkerShape kShapes[] = {MarkerShape::Circle, MarkerShape::Square, MarkerShape::Triangle,
                                   MarkerShape::Diamond};

MarkerShape shape_for(size_t i) { return kShapes[i % (sizeof kShapes / sizeof kShapes[0])]; }

struct Range {
  double lo = 0, hi = 1;
};

// Finite values seen so far.
struct Extent {
  double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return lo > hi; }
};

// Fixed ends win; free ends pad the data by pad_lo / pad_hi of its span. A single value (or all equal)
// gets a span of 10% of its size (1 for 0); no data gives 0..1.
Range resolve_range(Extent data, const std::optional<double>& fixed_lo, const std::optional<double>& fixed_hi,
                    double pad_lo, double pad_hi) {
  Range r;
  if (!data.empty()) {
    double lo = data.lo, hi = data.hi;
    if (hi - lo <= 1e-12 * std::max(1.0, std::abs(hi))) {
      const double d = lo == 0 ? 1.0 : std::abs(lo) * 0.1;
      lo -= d;
      hi += d;
    } else {
      const double span = hi - lo;
      lo -= pad_lo * span;
      hi += pad_hi * span;
    }
    r = {lo, hi};
  }
  if (fixed_lo) r.lo = *fixed_lo;
  if (fixed_hi) r.hi = *fixed_hi;
  if (!(r.hi > r.lo)) {  // one fixed end on the wrong side of the data
    const double d = std::max(1.0, std::abs(fixed_lo ? r.lo : r.hi) * 0.1);
    if (fixed_lo) r.hi = r.lo + d;
    else r.lo = r.hi - d;
  }
  return r;
}

void validate_style(const ChartStyle& s) {
  if (s.width < kMinSide || s.height < kMinSide || s.width > kMaxSide || s.height > kMaxSide)
    fail(kComponent,
         "a figure size of " + std::to_string(kMinSide) + ".." + std::to_string(kMaxSide) + " pixels a side",
         std::to_string(s.width) + "x" + std::to_string(s.height));
  const std::pair<const char*, const std::optional<double>*> ends[] = {
      {"x_min", &s.x_min}, {"x_max", &s.x_max}, {"y_min", &s.y_min}, {"y_max", &s.y_max}};
  for (const auto& [name, v] : ends)
    if (*v && !std::isfinite(**v)) fail(kComponent, std::string("a finite ") + name, std::to_string(**v));
  if (s.x_min && s.x_max && !(*s.x_min < *s.x_max))
    fail(kComponent, "x_min < x_max", std::to_string(*s.x_min) + " and " + std::to_string(*s.x_max));
  if (s.y_min && s.y_max && !(*s.y_min < *s.y_max))
    fail(kComponent, "y_min < y_max", std::to_string(*s.y_min) + " and " + std::to_string(*s.y_max));
}

std::string quoted(const std::string& name) { return "'" + name + "'"; }

void check_sizes(const Series& s, size_t index, bool x_optional) {
  const std::string who = "series " + std::to_string(index) + (s.name.empty() ? "" : " " + quoted(s.name));
  if (!(x_optional && s.x.empty()) && s.x.size() != s.y.size())
    fail(kComponent, "as many x as y values in " + who,
         std::to_string(s.x.size()) + " x and " + std::to_string(s.y.size()) + " y");
  if (!s.err.empty() && s.err.size() != s.y.size())
    fail(kComponent, "no err or one per y value in " + who,
         std::to_string(s.err.size()) + " err for " + std::to_string(s.y.size()) + " y");
  if (!s.color_class.empty() && s.color_class.size() != s.y.size())
    fail(kComponent, "no color_class or one per point in " + who,
         std::to_string(s.color_class.size()) + " classes for " + std::to_string(s.y.size()) + " points");
}

double x_at(const Series& s, size_t i) { return s.x.empty() ? static_cast<double>(i) : s.x[i]; }

// Drops trailing code points (whole UTF-8 sequences) until `s` plus ".." fits in max_px.
std::string fit_text(const std::string& s, int max_px, int scale = 1) {
  if (Canvas::text_width(s, scale) <= max_px) return s;
  std::string t = s;
  while (!t.empty()) {
    while (!t.empty() && (static_cast<unsigned char>(t.back()) & 0xC0) == 0x80) t.pop_back();
    if (!t.empty()) t.pop_back();
    if (Canvas::text_width(t + "..", scale) <= max_px) return t + "..";
  }
  return "";
}

// Greedy word wrap into at most max_lines lines of max_px; what is left over is cut from the last line.
std::vector<std::string> wrap_text(const std::string& s, int max_px, int scale, size_t max_lines) {
  std::vector<std::string> words, lines;
  size_t p = 0;
  while (p < s.size()) {
    const size_t q = s.find(' ', p);
    const size_t end = q == std::string::npos ? s.size() : q;
    if (end > p) words.push_back(s.substr(p, end - p));
    p = end + 1;
  }
  std::string line;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string joined = line.empty() ? words[i] : line + " " + words[i];
    if (line.empty() || Canvas::text_width(joined, scale) <= max_px || lines.size() + 1 == max_lines) {
      line = joined;
    } else {
      lines.push_back(line);
      line = words[i];
    }
  }
  if (!line.empty()) lines.push_back(line);
  for (auto& l : lines) l = fit_text(l, max_px, scale);
  return lines;
}

// ----------------------------------------------------------------------------------------------------
// Axes

struct Axis {
  Range range;
  std::vector<double> ticks;
  std::vector<std::string> labels;
  int label_width = 0;  // widest label
};

// As many ticks as fit: about one per 90 px across, 50 px up, fewer while labels would collide.
// `integers`: data on whole numbers (epochs) gets no ticks between them.
Axis make_axis(Range r, int pixels, bool horizontal, bool integers = false) {
  Axis a;
  a.range = r;
  const double span = r.hi - r.lo;
  for (int target = std::max(1, pixels / (horizontal ? 90 : 50)); target >= 1; --target) {
    double step = nice_step(span, target);
    if (integers && step < 1) {
      step = 1;
      a.ticks.clear();
      for (double k = std::ceil(r.lo); k <= r.hi && a.ticks.size() < 1000; ++k) a.ticks.push_back(k == 0 ? 0.0 : k);
    } else {
      a.ticks = nice_ticks(r.lo, r.hi, target);
    }
    a.labels.clear();
    a.label_width = 0;
    for (double t : a.ticks) {
      a.labels.push_back(format_tick(t, step));
      a.label_width = std::max(a.label_width, Canvas::text_width(a.labels.back()));
    }
    const double spacing = step / span * pixels;
    const double need = horizontal ? a.label_width + 12 : Canvas::text_height() + 8;
    if (spacing >= need) break;
  }
  return a;
}

enum class Swatch { Line, Box, Marker };

struct LegendEntry {
  std::string name;
  Rgb color;
  Swatch kind = Swatch::Box;
  MarkerShape shape = MarkerShape::Circle;
  bool with_marker = false;  // Line: a marker on the segment
};

int swatch_width(Swatch k) { return k == Swatch::Line ? 22 : 10; }

// The figure's frame: layout of title, legend, axes and labels around the plot area, and their drawing.
class Frame {
 public:
  Frame(Canvas& cv, const ChartStyle& style, std::vector<LegendEntry> legend, Range xr, Range yr,
        const std::vector<std::string>* categories, bool integer_x = false)
      : cv_(cv), style_(style), legend_(std::move(legend)), categories_(categories) {
    const int W = cv.width(), H = cv.height();
    int top = kMargin;
    if (!style.title.empty()) {
      title_ = wrap_text(style.title, W - 2 * kMargin, kTitleScale, 2);
      title_y_ = top;
      top += static_cast<int>(title_.size()) * (Canvas::text_height(kTitleScale) + 4) + 4;
    }
    if (!style.legend) legend_.clear();
    legend_.erase(std::remove_if(legend_.begin(), legend_.end(), [](const LegendEntry& e) { return e.name.empty(); }),
                  legend_.end());
    if (!legend_.empty()) {
      layout_legend(W - 2 * kMargin - 16);
      legend_y_ = top;
      top += legend_h_ + 10;
    } else {
      top += 4;  // room for the top tick label's upper half
    }

    // Left margin needs the y labels, which need the plot height, which (bar charts) needs the
    // category labels' layout, which needs the plot width: settle it in a few rounds.
    const int text_h = Canvas::text_height();
    int left = kMargin + 40, right = kMargin + 8, bottom = kMargin + 40;
    for (int round = 0; round < 3; ++round) {
      const int plot_h = std::max(10, H - top - bottom);
      y_ = make_axis(yr, plot_h, false);
      left = kMargin + (style.y_label.empty() ? 0 : text_h + 8) + y_.label_width + kTickGap + kTickLen + 1;
      int plot_w = std::max(10, W - left - right);
      int labels_h = text_h;
      if (categories_ == nullptr) {
        x_ = make_axis(xr, plot_w, true, integer_x);
        // The last label may hang over the right end of the axis.
        const double last = x_.ticks.empty() ? xr.lo : x_.ticks.back();
        const double hang = (x_.label_width / 2.0) - (xr.hi - last) / (xr.hi - xr.lo) * plot_w;
        right = std::max(kMargin + 8, static_cast<int>(std::ceil(hang)) + kMargin);
      } else {
        x_.range = xr;
        labels_h = layout_categories(plot_w, H);
      }
      bottom = kMargin + (style.x_label.empty() ? 0 : text_h + 6) + labels_h + kTickGap + kTickLen + 1;
    }
    area_.left = left;
    area_.top = top;
    area_.width = W - left - right;
    area_.height = H - top - bottom;
    if (area_.width < 20 || area_.height < 20)
      fail(kComponent, "a figure large enough for its title, legend and labels",
           "a plot area of " + std::to_string(area_.width) + "x" + std::to_string(area_.height) + " pixels in " +
               std::to_string(W) + "x" + std::to_string(H));
    area_.x_min = xr.lo;
    area_.x_max = xr.hi;
    area_.y_min = yr.lo;
    area_.y_max = yr.hi;
  }

  const PlotArea& area() const { return area_; }

  void clip_to_area(int extra = 0) {
    cv_.set_clip(area_.left - extra, area_.top - extra, area_.width + 2 * extra, area_.height + 2 * extra);
  }

  void draw_grid(bool vertical) {
    for (double t : y_.ticks) {
      const int y = static_cast<int>(std::lround(area_.py(t)));
      cv_.fill_rect(area_.left, y, area_.width, 1, kGrid);
    }
    if (vertical && categories_ == nullptr)
      for (double t : x_.ticks) {
        const int x = static_cast<int>(std::lround(area_.px(t)));
        cv_.fill_rect(x, area_.top, 1, area_.height, kGrid);
      }
  }

  void draw_note(const std::string& note) {
    const int w = Canvas::text_width(note, 2);
    const int h = Canvas::text_height(2);
    cv_.text(area_.left + (area_.width - w) / 2, area_.top + (area_.height - h) / 2, note, kMuted, 2);
  }

  // Axes box, ticks, tick labels, axis titles, title and legend.
  void draw_decorations() {
    cv_.reset_clip();
    const PlotArea& a = area_;
    const int bottom = a.top + a.height;  // the x axis line
    cv_.rect(a.left - 1, a.top - 1, a.width + 2, a.height + 2, kAxis);
    for (size_t i = 0; i < y_.ticks.size(); ++i) {
      const int y = static_cast<int>(std::lround(a.py(y_.ticks[i])));
      cv_.fill_rect(a.left - 1 - kTickLen, y, kTickLen, 1, kAxis);
      const int w = Canvas::text_width(y_.labels[i]);
      cv_.text(a.left - 1 - kTickLen - kTickGap - w, y - kCapCenter, y_.labels[i], kInk);
    }
    const int label_top = bottom + 1 + kTickLen + kTickGap;
    if (categories_ == nullptr) {
      for (size_t i = 0; i < x_.ticks.size(); ++i) {
        const int x = static_cast<int>(std::lround(a.px(x_.ticks[i])));
        cv_.fill_rect(x, bottom + 1, 1, kTickLen, kAxis);
        cv_.text(x - Canvas::text_width(x_.labels[i]) / 2, label_top, x_.labels[i], kInk);
      }
    } else {
      for (size_t i = 0; i < categories_->size(); i += label_every_) {
        const int x = static_cast<int>(std::lround(a.px(static_cast<double>(i) + 0.5)));
        cv_.fill_rect(x, bottom + 1, 1, kTickLen, kAxis);
        const std::string& s = category_labels_[i];
        if (vertical_labels_) cv_.text(x - kCapCenter, label_top, s, kInk, 1, true);
        else cv_.text(x - Canvas::text_width(s) / 2, label_top, s, kInk);
      }
    }
    const int text_h = Canvas::text_height();
    if (!style_.x_label.empty()) {
      const std::string s = fit_text(style_.x_label, a.width);
      cv_.text(a.left + (a.width - Canvas::text_width(s)) / 2, cv_.height() - kMargin - text_h, s, kInk);
    }
    if (!style_.y_label.empty()) {
      const std::string s = fit_text(style_.y_label, a.height);
      cv_.text(kMargin, a.top + (a.height - Canvas::text_width(s)) / 2, s, kInk, 1, true);
    }
    for (size_t i = 0; i < title_.size(); ++i)
      cv_.text((cv_.width() - Canvas::text_width(title_[i], kTitleScale)) / 2,
               title_y_ + static_cast<int>(i) * (Canvas::text_height(kTitleScale) + 4), title_[i], kInk, kTitleScale);
    draw_legend();
  }

 private:
  // Entries flow left to right in rows no wider than max_w.
  void layout_legend(int max_w) {
    rows_.assign(1, {});
    row_w_.assign(1, 0);
    int row_w = 0;
    legend_w_ = 0;
    for (size_t i = 0; i < legend_.size(); ++i) {
      auto& e = legend_[i];
      const int sw = swatch_width(e.kind) + 5;
      e.name = fit_text(e.name, max_w - sw);
      const int w = sw + Canvas::text_width(e.name);
      const int add = (row_w == 0 ? 0 : 18) + w;
      if (row_w > 0 && row_w + add > max_w) {
        rows_.push_back({});
        row_w_.push_back(0);
        row_w = 0;
      }
      row_w += (row_w == 0 ? 0 : 18) + w;
      rows_.back().push_back(i);
      row_w_.back() = row_w;
      legend_w_ = std::max(legend_w_, row_w);
    }
    legend_h_ = static_cast<int>(rows_.size()) * kLegendRow + 4;
  }

  void draw_legend() {
    if (legend_.empty()) return;
    const int box_w = legend_w_ + 16;
    const int box_x = std::max(kMargin, area_.left + (area_.width - box_w) / 2);
    cv_.fill_rect(box_x, legend_y_, box_w, legend_h_, Rgb{255, 255, 255});
    cv_.rect(box_x, legend_y_, box_w, legend_h_, kLegendBorder);
    for (size_t r = 0; r < rows_.size(); ++r) {
      int x = box_x + (box_w - row_w_[r]) / 2;
      const int ty = legend_y_ + 2 + static_cast<int>(r) * kLegendRow + 2;  // text box top
      const int cy = ty + kCapCenter;
      for (size_t i : rows_[r]) {
        const LegendEntry& e = legend_[i];
        const int sw = swatch_width(e.kind);
        switch (e.kind) {
          case Swatch::Line:
            cv_.line(x, cy, x + sw - 1, cy, e.color, 2);
            if (e.with_marker) cv_.marker(x + sw / 2, cy, e.shape, 7, e.color);
            break;
          case Swatch::Box:
            cv_.fill_rect(x, cy - 4, sw, 9, e.color);
            break;
          case Swatch::Marker:
            cv_.marker(x + sw / 2, cy, e.shape, 8, e.color);
            break;
        }
        x += sw + 5;
        cv_.text(x, ty, e.name, kInk);
        x += Canvas::text_width(e.name) + 18;
      }
    }
  }

  // Returns the height the category labels need below the ticks.
  int layout_categories(int plot_w, int canvas_h) {
    const auto& cats = *categories_;
    const size_t n = cats.size();
    category_labels_ = cats;
    label_every_ = 1;
    vertical_labels_ = false;
    if (n == 0) return Canvas::text_height();
    const double slot = static_cast<double>(plot_w) / static_cast<double>(n);
    int widest = 0;
    for (const auto& c : cats) widest = std::max(widest, Canvas::text_width(c));
    if (widest <= slot - 6) return Canvas::text_height();
    // Vertical, reading upwards and ending at the axis; long names are cut so the plot keeps its height,
    // and when even vertical labels collide only every k-th is shown.
    vertical_labels_ = true;
    const int max_px = std::max(40, canvas_h * 3 / 10);
    widest = 0;
    for (auto& c : category_labels_) {
      c = fit_text(c, max_px);
      widest = std::max(widest, Canvas::text_width(c));
    }
    const double need = Canvas::text_height() + 2;
    if (slot < need) label_every_ = static_cast<size_t>(std::ceil(need / slot));
    return widest;
  }

  Canvas& cv_;
  const ChartStyle& style_;
  std::vector<LegendEntry> legend_;
  const std::vector<std::string>* categories_;
  std::vector<std::string> title_;  // one or two lines
  int title_y_ = 0, legend_y_ = 0, legend_w_ = 0, legend_h_ = 0;
  std::vector<std::vector<size_t>> rows_;  // legend entries per row, and each row's width
  std::vector<int> row_w_;
  Axis x_, y_;
  std::vector<std::string> category_labels_;
  bool vertical_labels_ = false;
  size_t label_every_ = 1;
  PlotArea area_;
};

bool in_range(const PlotArea& a, double x, double y) {
  return x >= a.x_min && x <= a.x_max && y >= a.y_min && y <= a.y_max;
}

}  // namespace

Rgb chart_color(size_t index) { return kPalette[index % kChartPaletteSize]; }

double nice_step(double span, int target) {
  if (!(span > 0) || !std::isfinite(span)) return 1;
  const double raw = span / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  // The nearest of 1, 2, 5, 10 on a log scale (cut points at their geometric means).
  const double nice = f < 1.4142 ? 1 : f < 3.1623 ? 2 : f < 7.0711 ? 5 : 10;
  return nice * mag;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo)) return ticks;
  const double step = nice_step(hi - lo, target);
  const double first = std::ceil(lo / step - 1e-9), last = std::floor(hi / step + 1e-9);
  for (double k = first; k <= last && ticks.size() < 1000; ++k) {
    const double v = k * step;
    ticks.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);  // no "-0"
  }
  return ticks;
}

std::string format_tick(double value, double step) {
  char buf[64];
  if (std::abs(value) < step * 1e-9) value = 0;
  if (std::abs(value) >= 1e7 || (step < 1e-5 && value != 0)) {
    std::snprintf(buf, sizeof buf, "%.3g", value);
  } else {
    const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  }
  return buf;
}

double bar_width(size_t groups) { return 0.8 / static_cast<double>(std::max<size_t>(1, groups)); }

double bar_center(size_t category, size_t group, size_t groups) {
  const double g = static_cast<double>(std::max<size_t>(1, groups));
  return static_cast<double>(category) + 0.5 + (static_cast<double>(group) + 0.5 - g / 2) * bar_width(groups);
}

// ------------------------------------------------------------------------------------------------------
// Line chart

RenderedChart render_line_chart(const ChartStyle& style, const std::vector<Series>& series) {
  validate_style(style);
  for (size_t i = 0; i < series.size(); ++i) check_sizes(series[i], i, true);
  Extent xs, ys;
  bool integer_x = true;  // epochs: no ticks at 1.5
  for (const auto& s : series)
    for (size_t i = 0; i < s.y.size(); ++i) {
      const double x = x_at(s, i), y = s.y[i];
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      xs.add(x);
      integer_x = integer_x && x == std::round(x) && std::abs(x) < 1e9;
      ys.add(y);
      if (!s.err.empty() && std::isfinite(s.err[i])) {
        ys.add(y - std::abs(s.err[i]));
        ys.add(y + std::abs(s.err[i]));
      }
    }
  const Range xr = resolve_range(xs, style.x_min, style.x_max, 0.03, 0.03);
  const Range yr = resolve_range(ys, style.y_min, style.y_max, 0.05, 0.05);
  std::vector<LegendEntry> legend;
  for (size_t k = 0; k < series.size(); ++k)
    legend.push_back({series[k].name, chart_color(k), Swatch::Line, shape_for(k), style.markers});

  RenderedChart out{Canvas(style.width, style.height), {}};
  Frame frame(out.canvas, style, std::move(legend), xr, yr, nullptr, integer_x);
  const PlotArea& a = frame.area();
  Canvas& cv = out.canvas;
  frame.draw_grid(true);

  // Runs of consecutive finite points (a NaN breaks the curve), in pixels.
  auto runs = [&](const Series& s, bool with_err) {
    std::vector<std::vector<size_t>> out_runs(1);
    for (size_t i = 0; i < s.y.size(); ++i) {
      const bool ok = std::isfinite(x_at(s, i)) && std::isfinite(s.y[i]) && (!with_err || std::isfinite(s.err[i]));
      if (ok) out_runs.back().push_back(i);
      else if (!out_runs.back().empty()) out_runs.emplace_back();
    }
    return out_runs;
  };
  frame.clip_to_area();
  for (size_t k = 0; k < series.size(); ++k) {  // bands first, under every curve
    const Series& s = series[k];
    if (s.err.empty()) continue;
    for (const auto& run : runs(s, true)) {
      if (run.size() < 2) continue;
      std::vector<PointD> poly;
      for (size_t i : run) poly.push_back({a.px(x_at(s, i)), a.py(s.y[i] + std::abs(s.err[i]))});
      for (auto it = run.rbegin(); it != run.rend(); ++it)
        poly.push_back({a.px(x_at(s, *it)), a.py(s.y[*it] - std::abs(s.err[*it]))});
      cv.fill_polygon(poly, chart_color(k), 0.18);
    }
  }
  for (size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    for (const auto& run : runs(s, false)) {
      std::vector<PointD> pts;
      for (size_t i : run) pts.push_back({a.px(x_at(s, i)), a.py(s.y[i])});
      cv.polyline(pts, chart_color(k), 2);
    }
  }
  if (style.markers) {
    frame.clip_to_area(5);  // a marker on the axis end shows whole
    for (size_t k = 0; k < series.size(); ++k) {
      const Series& s = series[k];
      for (size_t i = 0; i < s.y.size(); ++i)
        if (std::isfinite(x_at(s, i)) && std::isfinite(s.y[i]) && in_range(a, x_at(s, i), s.y[i]))
          cv.marker(a.px(x_at(s, i)), a.py(s.y[i]), shape_for(k), 7, chart_color(k));
    }
  }
  if (xs.empty()) frame.draw_note("no data");
  frame.draw_decorations();
  out.area = a;
  return out;
}

// ------------------------------------------------------------------------------------------------------
// Grouped bar chart

RenderedChart render_bar_chart(const ChartStyle& style, const std::vector<std::string>& categories,
                               const std::vector<Series>& groups) {
  validate_style(style);
  const size_t n = categories.size();
  for (size_t g = 0; g < groups.size(); ++g) {
    const Series& s = groups[g];
    const std::string who = "group " + std::to_string(g) + (s.name.empty() ? "" : " " + quoted(s.name));
    if (s.y.size() != n)
      fail(kComponent, "one value per category (" + std::to_string(n) + ") in " + who,
           std::to_string(s.y.size()) + " values");
    if (!s.err.empty() && s.err.size() != n)
      fail(kComponent, "no err or one per category (" + std::to_string(n) + ") in " + who,
           std::to_string(s.err.size()) + " err values");
  }
  Extent ys;
  for (const auto& s : groups)
    for (size_t i = 0; i < n; ++i) {
      if (!std::isfinite(s.y[i])) continue;
      ys.add(s.y[i]);
      if (!s.err.empty() && std::isfinite(s.err[i])) {
        ys.add(s.y[i] - std::abs(s.err[i]));
        ys.add(s.y[i] + std::abs(s.err[i]));
      }
    }
  const bool no_data = ys.empty();
  if (!no_data) ys.add(0);  // bars stand on 0: no padding below it
  const Range yr = resolve_range(ys, style.y_min, style.y_max, ys.lo < 0 ? 0.05 : 0.0, ys.hi > 0 ? 0.05 : 0.0);
  const Range xr{0, static_cast<double>(std::max<size_t>(1, n))};
  std::vector<LegendEntry> legend;
  for (size_t g = 0; g < groups.size(); ++g) legend.push_back({groups[g].name, chart_color(g), Swatch::Box});

  RenderedChart out{Canvas(style.width, style.height), {}};
  Frame frame(out.canvas, style, std::move(legend), xr, yr, &categories);
  const PlotArea& a = frame.area();
  Canvas& cv = out.canvas;
  frame.draw_grid(false);
  frame.clip_to_area();
  const double base = std::clamp(0.0, a.y_min, a.y_max);
  const double half = bar_width(groups.size()) / 2;
  auto column = [&](double x) { return static_cast<int>(std::ceil(a.px(x))); };
  auto row = [&](double y) { return static_cast<int>(std::lround(a.py(std::clamp(y, a.y_min, a.y_max)))); };
  for (size_t g = 0; g < groups.size(); ++g) {
    for (size_t i = 0; i < n; ++i) {
      const double v = groups[g].y[i];
      if (!std::isfinite(v)) continue;
      const double c = bar_center(i, g, groups.size());
      const int x0 = column(c - half);
      const int x1 = std::max(x0, column(c + half) - 1);
      const int top = row(std::max(v, base)), bottom = row(std::min(v, base));
      cv.fill_rect(x0, top, x1 - x0 + 1, bottom - top + 1, chart_color(g));
    }
  }
  for (size_t g = 0; g < groups.size(); ++g) {  // error bars over every bar
    if (groups[g].err.empty()) continue;
    for (size_t i = 0; i < n; ++i) {
      const double v = groups[g].y[i], e = std::abs(groups[g].err[i]);
      if (!std::isfinite(v) || !std::isfinite(e)) continue;
      const double c = bar_center(i, g, groups.size());
      const double x = std::round(a.px(c));
      const double cap = std::max(1.0, std::min(4.0, (a.px(c + half) - a.px(c - half)) * 0.3));
      const double y0 = a.py(v - e), y1 = a.py(v + e);
      cv.line(x, y0, x, y1, kInk);
      cv.line(x - cap, y0, x + cap, y0, kInk);
      cv.line(x - cap, y1, x + cap, y1, kInk);
    }
  }
  if (a.y_min < 0 && a.y_max > 0) cv.fill_rect(a.left, row(0), a.width, 1, kAxis);
  if (no_data) frame.draw_note("no data");
  frame.draw_decorations();
  out.area = a;
  return out;
}

// ------------------------------------------------------------------------------------------------------
// Scatter chart

RenderedChart render_scatter_chart(const ChartStyle& style, const std::vector<Series>& sets, bool diagonal) {
  validate_style(style);
  for (size_t i = 0; i < sets.size(); ++i) check_sizes(sets[i], i, false);
  Extent xs, ys;
  size_t points = 0;
  bool classes = false;
  for (const auto& s : sets) {
    classes = classes || !s.color_class.empty();
    for (size_t i = 0; i < s.y.size(); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) {
        xs.add(s.x[i]);
        ys.add(s.y[i]);
        ++points;
      }
  }
  const Range xr = resolve_range(xs, style.x_min, style.x_max, 0.03, 0.03);
  const Range yr = resolve_range(ys, style.y_min, style.y_max, 0.03, 0.03);
  std::vector<LegendEntry> legend;
  for (size_t k = 0; k < sets.size(); ++k)
    legend.push_back(
        {sets[k].name, sets[k].color_class.empty() ? chart_color(k) : kMuted, Swatch::Marker, shape_for(k)});
  if (classes)
    for (size_t c = 0; c < style.class_names.size(); ++c)
      legend.push_back({style.class_names[c], chart_color(c), Swatch::Marker, MarkerShape::Circle});

  RenderedChart out{Canvas(style.width, style.height), {}};
  Frame frame(out.canvas, style, std::move(legend), xr, yr, nullptr);
  const PlotArea& a = frame.area();
  Canvas& cv = out.canvas;
  frame.draw_grid(true);
  frame.clip_to_area();
  if (diagonal) {
    const double lo = std::max(a.x_min, a.y_min), hi = std::min(a.x_max, a.y_max);
    if (lo < hi) cv.dashed_line(a.px(lo), a.py(lo), a.px(hi), a.py(hi), kMuted, 1, 6, 4);
  }
  // Many points: smaller and translucent, so dense regions read darker instead of as one blot.
  const double size = points > 1000 ? 4 : points > 200 ? 5 : 7;
  const double alpha = points > 1000 ? 0.45 : points > 200 ? 0.65 : 0.85;
  frame.clip_to_area(static_cast<int>(size));
  for (size_t k = 0; k < sets.size(); ++k) {
    const Series& s = sets[k];
    for (size_t i = 0; i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || !in_range(a, s.x[i], s.y[i])) continue;
      Rgb c = chart_color(k);
      if (!s.color_class.empty())
        c = s.color_class[i] < 0 ? kNoClass : chart_color(static_cast<size_t>(s.color_class[i]));
      cv.marker(a.px(s.x[i]), a.py(s.y[i]), shape_for(k), size, c, alpha);
    }
  }
  if (points == 0) frame.draw_note("no data");
  frame.draw_decorations();
  out.area = a;
  return out;
}

// ------------------------------------------------------------------------------------------------------

PlotArea write_line_chart(const std::string& png, const ChartStyle& style, const std::vector<Series>& series) {
  RenderedChart c = render_line_chart(style, series);
  c.canvas.write_png(png);
  return c.area;
}

PlotArea write_bar_chart(const std::string& png, const ChartStyle& style, const std::vector<std::string>& categories,
                         const std::vector<Series>& groups) {
  RenderedChart c = render_bar_chart(style, categories, groups);
  c.canvas.write_png(png);
  return c.area;
}

PlotArea write_scatter_chart(const std::string& png, const ChartStyle& style, const std::vector<Series>& sets,
                             bool diagonal) {
  RenderedChart c = render_scatter_chart(style, sets, diagonal);
  c.canvas.write_png(png);
  return c.area;
}

}  // namespace avtune
