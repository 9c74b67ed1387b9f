// Axis ticks (1, 2, 5 x 10^k), their labels, bar geometry, and the palette.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "chart_layout.h"

namespace avtune {

namespace {

constexpr Color kPalette[kChartPaletteSize] = {
    color_hex(0x2E6FBA),  // blue
    color_hex(0xF08A24),  // orange
    color_hex(0x2F9E44),  // green
    color_hex(0xD63A3A),  // red
    color_hex(0x8A5CC2),  // purple
    color_hex(0x8C5A3C),  // brown
    color_hex(0xD66BB0),  // pink
    color_hex(0x1AA6B7),  // teal
    color_hex(0xA8A82A),  // olive
    color_hex(0x6E6E6E),  // gray
};

}  // namespace

Color chart_color(size_t index) { return kPalette[index % kChartPaletteSize]; }

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

namespace plot {

Axis make_axis(CairoFigure& fig, Range r, int pixels, bool horizontal, bool integers) {
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
      a.label_width = std::max(a.label_width, fig.text_width(a.labels.back(), kLabelFont));
    }
    const double spacing = step / span * pixels;
    const double need = horizontal ? a.label_width + 12 : fig.text_height(kLabelFont) + 8;
    if (spacing >= need) break;
  }
  return a;
}

}  // namespace plot

}  // namespace avtune
