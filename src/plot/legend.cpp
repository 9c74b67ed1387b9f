// The legend box above the plot: one entry per named series (or colour class), in centred rows.
#include <algorithm>
#include <cmath>

#include "chart_layout.h"

namespace avtune::plot {

namespace {

constexpr double kBorderPad = 4;  // box edge to the first / last row

double swatch_width(Swatch k) { return k == Swatch::Line ? 24 : 11; }

}  // namespace

Legend::Legend(CairoFigure& fig, std::vector<LegendEntry> entries, double max_w) {
  for (auto& e : entries)
    if (!e.name.empty()) entries_.push_back(std::move(e));
  row_h_ = fig.text_height(kLabelFont) + 4;
  rows_.assign(1, {});
  row_w_.assign(1, 0);
  const double inner = std::max(40.0, max_w - 2 * kPad);
  for (size_t i = 0; i < entries_.size(); ++i) {
    auto& e = entries_[i];
    const double sw = swatch_width(e.kind) + kSwatchGap;
    e.name = fit_text(fig, e.name, inner - sw);
    const double w = sw + fig.text_width(e.name, kLabelFont);
    entry_w_.push_back(w);
    if (row_w_.back() > 0 && row_w_.back() + kGap + w > inner) {
      rows_.push_back({});
      row_w_.push_back(0);
    }
    row_w_.back() += (row_w_.back() == 0 ? 0 : kGap) + w;
    rows_.back().push_back(i);
    width_ = std::max(width_, row_w_.back());
  }
}

double Legend::height() const {
  return empty() ? 0 : static_cast<double>(rows_.size()) * row_h_ + 2 * kBorderPad;
}

void Legend::draw(CairoFigure& fig, double x0, double y0) const {
  if (empty()) return;
  cairo_t* cr = fig.cr();
  const double w = width(), h = height();
  fig.fill_rect(x0, y0, w, h, kWhite);
  fig.set_color(kLegendBorder);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, std::round(x0) + 0.5, std::round(y0) + 0.5, std::round(w) - 1, std::round(h) - 1);
  cairo_stroke(cr);
  const double text_h = fig.text_height(kLabelFont);
  const double cap = fig.cap_height(kLabelFont), asc = fig.ascent(kLabelFont);
  for (size_t r = 0; r < rows_.size(); ++r) {
    double x = x0 + (w - row_w_[r]) / 2;
    const double ty = y0 + kBorderPad + static_cast<double>(r) * row_h_ + (row_h_ - text_h) / 2;  // text box top
    const double mid = ty + asc - cap / 2;  // the middle of the capitals
    for (size_t i : rows_[r]) {
      const LegendEntry& e = entries_[i];
      const double sw = swatch_width(e.kind);
      switch (e.kind) {
        case Swatch::Line:
          fig.line(x, mid, x + sw, mid, e.color, 2);
          if (e.with_marker) fig.marker(x + sw / 2, mid, e.shape, 7, e.color);
          break;
        case Swatch::Box:
          fig.fill_rect(x, mid - sw / 2, sw, sw, e.color);
          break;
        case Swatch::Marker:
          fig.marker(x + sw / 2, mid, e.shape, 9, e.color);
          break;
      }
      fig.text(x + sw + kSwatchGap, ty, e.name, kInk, kLabelFont);
      x += entry_w_[i] + kGap;
    }
  }
}

}  // namespace avtune::plot
