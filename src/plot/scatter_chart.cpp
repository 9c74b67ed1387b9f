// Scatter charts: markers per point, coloured by set or by colour class, optional y = x diagonal.
#include <algorithm>
#include <cmath>

#include "chart_layout.h"

namespace avtune {

using namespace plot;

RenderedChart render_scatter_chart(FigureFormat format, const ChartStyle& style, const std::vector<Series>& sets,
                                   bool diagonal) {
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

  CairoFigure fig(format, style.width, style.height);
  Frame frame(fig, style, std::move(legend), xr, yr, nullptr);
  const PlotArea& a = frame.area();
  cairo_t* cr = fig.cr();
  frame.draw_grid(true);
  frame.clip_to_area();
  if (diagonal) {
    const double lo = std::max(a.x_min, a.y_min), hi = std::min(a.x_max, a.y_max);
    if (lo < hi) {
      const double dash[] = {6, 4};
      cairo_set_dash(cr, dash, 2, 0);
      fig.line(cx(a, lo), cy(a, lo), cx(a, hi), cy(a, hi), kMuted, 1.5);
      cairo_set_dash(cr, nullptr, 0, 0);
    }
  }
  // Many points: smaller and translucent, so dense regions read darker instead of as one blot.
  const double size = points > 1000 ? 4 : points > 200 ? 5 : 7;
  const double alpha = points > 1000 ? 0.45 : points > 200 ? 0.65 : 0.85;
  frame.clip_to_area(size);
  for (size_t k = 0; k < sets.size(); ++k) {
    const Series& s = sets[k];
    for (size_t i = 0; i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || !in_range(a, s.x[i], s.y[i])) continue;
      Color c = chart_color(k);
      if (!s.color_class.empty())
        c = s.color_class[i] < 0 ? kNoClass : chart_color(static_cast<size_t>(s.color_class[i]));
      fig.marker(cx(a, s.x[i]), cy(a, s.y[i]), shape_for(k), size, c, alpha);
    }
  }
  fig.reset_clip();
  if (points == 0) frame.draw_note("no data");
  frame.draw_decorations();
  return {fig.finish(), a};
}

PlotArea write_scatter_chart(const std::string& path, const ChartStyle& style, const std::vector<Series>& sets,
                             bool diagonal) {
  const RenderedChart c = render_scatter_chart(figure_format_for_path(path), style, sets, diagonal);
  write_figure_file(path, c.bytes);
  return c.area;
}

}  // namespace avtune
