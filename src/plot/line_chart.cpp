// Line charts: one curve per series, optional y +- err bands, markers.
#include <cmath>

#include "chart_layout.h"

namespace avtune {

using namespace plot;

namespace {

// Runs of consecutive finite points (a NaN breaks the curve); with_err: err finite too.
std::vector<std::vector<size_t>> finite_runs(const Series& s, bool with_err) {
  std::vector<std::vector<size_t>> runs(1);
  for (size_t i = 0; i < s.y.size(); ++i) {
    const bool ok = std::isfinite(x_at(s, i)) && std::isfinite(s.y[i]) && (!with_err || std::isfinite(s.err[i]));
    if (ok) runs.back().push_back(i);
    else if (!runs.back().empty()) runs.emplace_back();
  }
  return runs;
}

}  // namespace

RenderedChart render_line_chart(FigureFormat format, const ChartStyle& style, const std::vector<Series>& series) {
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

  CairoFigure fig(format, style.width, style.height);
  Frame frame(fig, style, std::move(legend), xr, yr, nullptr, integer_x);
  const PlotArea& a = frame.area();
  cairo_t* cr = fig.cr();
  frame.draw_grid(true);
  frame.clip_to_area();
  for (size_t k = 0; k < series.size(); ++k) {  // bands first, under every curve
    const Series& s = series[k];
    if (s.err.empty()) continue;
    for (const auto& run : finite_runs(s, true)) {
      if (run.size() < 2) continue;
      cairo_new_path(cr);
      for (size_t i : run) cairo_line_to(cr, cx(a, x_at(s, i)), cy(a, s.y[i] + std::abs(s.err[i])));
      for (auto it = run.rbegin(); it != run.rend(); ++it)
        cairo_line_to(cr, cx(a, x_at(s, *it)), cy(a, s.y[*it] - std::abs(s.err[*it])));
      cairo_close_path(cr);
      fig.set_color(chart_color(k), 0.18);
      cairo_fill(cr);
    }
  }
  cairo_set_line_width(cr, 2);
  for (size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    for (const auto& run : finite_runs(s, false)) {
      if (run.size() == 1 && !style.markers)  // an isolated point still shows
        fig.marker(cx(a, x_at(s, run[0])), cy(a, s.y[run[0]]), MarkerShape::Circle, 3, chart_color(k));
      if (run.size() < 2) continue;
      cairo_new_path(cr);
      for (size_t i : run) cairo_line_to(cr, cx(a, x_at(s, i)), cy(a, s.y[i]));
      fig.set_color(chart_color(k));
      cairo_stroke(cr);
    }
  }
  if (style.markers) {
    frame.clip_to_area(5);  // a marker on the axis end shows whole
    for (size_t k = 0; k < series.size(); ++k) {
      const Series& s = series[k];
      for (size_t i = 0; i < s.y.size(); ++i)
        if (std::isfinite(x_at(s, i)) && std::isfinite(s.y[i]) && in_range(a, x_at(s, i), s.y[i]))
          fig.marker(cx(a, x_at(s, i)), cy(a, s.y[i]), shape_for(k), 7, chart_color(k));
    }
  }
  fig.reset_clip();
  if (xs.empty()) frame.draw_note("no data");
  frame.draw_decorations();
  return {fig.finish(), a};
}

PlotArea write_line_chart(const std::string& path, const ChartStyle& style, const std::vector<Series>& series) {
  const RenderedChart c = render_line_chart(figure_format_for_path(path), style, series);
  write_figure_file(path, c.bytes);
  return c.area;
}

}  // namespace avtune
