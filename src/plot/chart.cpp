// What the three chart kinds share: checks on what callers hand a chart, and the axis ranges their
// data asks for. (The chart kinds themselves: line_chart.cpp, bar_chart.cpp, scatter_chart.cpp.)
#include <algorithm>
#include <cmath>
#include <utility>

#include "avtune/util/error.h"
#include "chart_layout.h"

namespace avtune::plot {

namespace {

constexpr int kMinSide = 160, kMaxSide = 16384;
constexpr MarkerShape kShapes[] = {MarkerShape::Circle, MarkerShape::Square, MarkerShape::Triangle,
                                   MarkerShape::Diamond};

}  // namespace

void Extent::add(double v) {
  if (!std::isfinite(v)) return;
  lo = std::min(lo, v);
  hi = std::max(hi, v);
}

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

MarkerShape shape_for(size_t i) { return kShapes[i % (sizeof kShapes / sizeof kShapes[0])]; }

}  // namespace avtune::plot
