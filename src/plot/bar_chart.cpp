// Grouped bar charts: one bar per group and category, from 0, with optional error bars.
#include <algorithm>
#include <cmath>

#include "avtune/util/error.h"
#include "chart_layout.h"

namespace avtune {

using namespace plot;

RenderedChart render_bar_chart(FigureFormat format, const ChartStyle& style, const std::vector<std::string>& categories,
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

  CairoFigure fig(format, style.width, style.height);
  Frame frame(fig, style, std::move(legend), xr, yr, &categories);
  const PlotArea& a = frame.area();
  frame.draw_grid(false);
  frame.clip_to_area();
  const double base = std::clamp(0.0, a.y_min, a.y_max);
  const double half = bar_width(groups.size()) / 2;
  // Bars cover whole pixels (crisp edges in every format): the columns whose centres lie inside the
  // bar, the rows from the value's row to the base's.
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
      fig.fill_rect(x0, top, x1 - x0 + 1, bottom - top + 1, chart_color(g));
    }
  }
  for (size_t g = 0; g < groups.size(); ++g) {  // error bars over every bar
    if (groups[g].err.empty()) continue;
    for (size_t i = 0; i < n; ++i) {
      const double v = groups[g].y[i], e = std::abs(groups[g].err[i]);
      if (!std::isfinite(v) || !std::isfinite(e)) continue;
      const double c = bar_center(i, g, groups.size());
      const double x = std::round(a.px(c)) + 0.5;
      const double cap = std::max(1.5, std::min(4.0, (a.px(c + half) - a.px(c - half)) * 0.3));
      const double y0 = cy(a, v - e), y1 = cy(a, v + e);
      fig.line(x, y0, x, y1, kInk, 1.2);
      fig.line(x - cap, y0, x + cap, y0, kInk, 1.2);
      fig.line(x - cap, y1, x + cap, y1, kInk, 1.2);
    }
  }
  if (a.y_min < 0 && a.y_max > 0) fig.fill_rect(a.left, row(0), a.width, 1, kAxis);
  fig.reset_clip();
  if (no_data || !style.note.empty()) frame.draw_note(no_data && style.note.empty() ? "no data" : style.note);
  frame.draw_decorations();
  return {fig.finish(), a};
}

PlotArea write_bar_chart(const std::string& path, const ChartStyle& style, const std::vector<std::string>& categories,
                         const std::vector<Series>& groups) {
  const RenderedChart c = render_bar_chart(figure_format_for_path(path), style, categories, groups);
  write_figure_file(path, c.bytes);
  return c.area;
}

}  // namespace avtune
