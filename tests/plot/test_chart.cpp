// Charts drawn with cairo: ticks, and where bars, curves, bands, markers, notes and the legend land
// against the PlotArea in the PNGs written.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "avtune/plot/chart.h"
#include "plot_test_support.h"

using namespace avtune;
using namespace avtune::plot_test;
namespace fs = std::filesystem;

TEST(Chart, NiceTicksAndLabels) {
  EXPECT_DOUBLE_EQ(nice_step(1.0, 5), 0.2);
  EXPECT_DOUBLE_EQ(nice_step(100.0, 4), 20);
  EXPECT_DOUBLE_EQ(nice_step(0.9, 2), 0.5);
  const auto t = nice_ticks(0.0, 1.0, 5);
  ASSERT_EQ(t.size(), 6u);
  EXPECT_DOUBLE_EQ(t.front(), 0.0);
  EXPECT_NEAR(t.back(), 1.0, 1e-12);
  const auto u = nice_ticks(-0.33, 0.71, 5);
  EXPECT_NEAR(u.front(), -0.2, 1e-12);
  EXPECT_NEAR(u.back(), 0.6, 1e-12);
  EXPECT_TRUE(nice_ticks(1.0, 1.0, 5).empty());
  EXPECT_EQ(format_tick(0.2, 0.2), "0.2");
  EXPECT_EQ(format_tick(-1e-17, 0.05), "0.00");  // never "-0.00"
  EXPECT_EQ(format_tick(1500, 500), "1500");
  EXPECT_EQ(format_tick(12, 1), "12");
  EXPECT_DOUBLE_EQ(bar_center(2, 0, 1), 2.5);
  EXPECT_DOUBLE_EQ(bar_width(2), 0.4);
  EXPECT_DOUBLE_EQ(bar_center(0, 1, 2), 0.7);
  EXPECT_EQ(chart_color(0), chart_color(kChartPaletteSize));
  EXPECT_NE(chart_color(0), chart_color(1));
}

TEST(Chart, BarChartBarsReachTheirValues) {
  TempDir d;
  const std::vector<std::string> cats = {"layer1.0.bn1", "layer2.0.bn1", "layer3.1.bn2", "layer4.1.bn2"};
  Series before{"before", {}, {0.25, 0.5, 0.75, 1.0}, {}, {}};
  Series after{"after", {}, {0.1, 0.2, 0.3, 0.0}, {}, {}};
  ChartStyle style;
  style.title = "dead-channel ratio";
  style.y_label = "ratio";
  style.x_label = "BN layer";
  style.y_min = 0;
  style.y_max = 1;
  style.width = 640;
  style.height = 360;
  const PlotArea a = write_bar_chart(d.file("bars.png"), style, cats, {before, after});
  const Image img = read_png_rgb(d.file("bars.png"));
  ASSERT_EQ(img.width, 640);
  ASSERT_EQ(img.height, 360);
  EXPECT_DOUBLE_EQ(a.y_min, 0.0);
  EXPECT_DOUBLE_EQ(a.y_max, 1.0);
  const std::vector<Series> groups = {before, after};
  for (size_t g = 0; g < 2; ++g)
    for (size_t i = 0; i < cats.size(); ++i) {
      const double v = groups[g].y[i];
      const int x = static_cast<int>(std::lround(a.px(bar_center(i, g, 2))));
      const int base = static_cast<int>(std::lround(a.py(0)));
      // The bar's colour (exact: bars cover whole pixels) runs up from the axis to the value's row.
      int y = base;
      while (y >= a.top && img.at(x, y) == chart_color(g)) --y;
      const int top = y + 1;
      EXPECT_NEAR(top, a.py(v), 2.0) << "group " << g << " category " << i;
      if (v > 0.05) {
        EXPECT_EQ(img.at(a.px(bar_center(i, g, 2)), a.py(v / 2)), chart_color(g));
      }
    }
  // Between categories there is no bar.
  EXPECT_NE(img.at(a.px(1.0), a.py(0.1)), chart_color(0));
}

TEST(Chart, BarChartNegativeValuesHangFromZeroAndNaNIsSkipped) {
  TempDir d;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Series s{"delta", {}, {-0.5, nan, 1.0}, {0.1, 0.1, nan}, {}};
  ChartStyle style;
  PlotArea a;
  ASSERT_NO_THROW(a = write_bar_chart(d.file("neg.png"), style, {"a", "b", "c"}, {s}));
  const Image img = read_png_rgb(d.file("neg.png"));
  ASSERT_EQ(img.width, 900);
  ASSERT_EQ(img.height, 500);
  EXPECT_LT(a.y_min, -0.5);
  EXPECT_GT(a.y_max, 1.0);
  const double x0 = a.px(bar_center(0, 0, 1));
  EXPECT_EQ(img.at(x0 + 6, a.py(-0.25)), chart_color(0));  // below zero
  EXPECT_NE(img.at(x0 + 6, a.py(0.25)), chart_color(0));   // nothing above
  // The error bar (dark ink) crosses the bar's end at -0.5 +- 0.1.
  EXPECT_TRUE(img.near(x0, a.py(-0.55), color_hex(0x222222), 1, 60));
  const int x1 = static_cast<int>(std::lround(a.px(bar_center(1, 0, 1))));
  for (int y = a.top; y < a.top + a.height; ++y) ASSERT_GT(distance(img.at(x1, y), chart_color(0)), 40) << "NaN bar drawn";
}

TEST(Chart, ManyCategoriesTurnLabelsVertical) {
  TempDir d;
  std::vector<std::string> cats;
  Series g{"ratio", {}, {}, {}, {}};
  for (int i = 0; i < 60; ++i) {
    cats.push_back("layer" + std::to_string(i / 16 + 1) + "." + std::to_string(i % 2) + ".bn" + std::to_string(i % 3));
    g.y.push_back(i / 60.0);
  }
  ChartStyle style;
  style.width = 400;
  style.height = 300;
  const PlotArea a = write_bar_chart(d.file("many.png"), style, cats, {g});
  EXPECT_GT(a.height, 60);  // vertical labels did not eat the plot
  const Image img = read_png_rgb(d.file("many.png"));
  EXPECT_EQ(img.width, 400);
  // Vertical labels: ink in a tall column below the axis, taller than one line of text.
  const int x = static_cast<int>(std::lround(a.px(0.5)));
  int ink_rows = 0;
  for (int y = a.top + a.height + 8; y < img.height; ++y) {
    bool ink = false;
    for (int dx = -6; dx <= 6; ++dx) ink = ink || gray(img.at(x + dx, y), 0xB0);
    ink_rows += ink;
  }
  EXPECT_GT(ink_rows, 30);
}

TEST(Chart, LineChartDrawsSeriesNearTheirPoints) {
  TempDir d;
  std::vector<Series> curves;
  for (int k = 0; k < 3; ++k) {
    Series s{"seed mean " + std::to_string(k), {}, {}, {}, {}};
    for (int e = 1; e <= 12; ++e) {
      s.x.push_back(e);
      s.y.push_back(0.2 + 0.2 * k + 0.02 * e);
      s.err.push_back(0.02);
    }
    curves.push_back(s);
  }
  ChartStyle style;
  style.title = "accuracy per epoch";
  style.x_label = "epoch";
  style.y_label = "accuracy";
  style.markers = false;
  const PlotArea a = write_line_chart(d.file("lines.png"), style, curves);
  const Image img = read_png_rgb(d.file("lines.png"));
  ASSERT_EQ(img.width, 900);
  ASSERT_EQ(img.height, 500);
  EXPECT_LE(a.x_min, 1.0);
  EXPECT_GE(a.x_max, 12.0);
  for (size_t k = 0; k < curves.size(); ++k)
    for (size_t i = 0; i < curves[k].x.size(); ++i) {
      const double x = curves[k].x[i], y = curves[k].y[i];
      EXPECT_TRUE(img.near(a.px(x), a.py(y), chart_color(k))) << "series " << k << " point " << i;
      if (i + 1 < curves[k].x.size()) {  // half-way to the next point too
        EXPECT_TRUE(img.near(a.px(x + 0.5), a.py((y + curves[k].y[i + 1]) / 2), chart_color(k)));
      }
      // Nothing of another series' colour there.
      EXPECT_FALSE(img.near(a.px(x), a.py(y), chart_color((k + 1) % 3), 1, 10));
    }
  // The band is a light shade of the colour, above and below the curve.
  const Color band = img.at(a.px(6.5), a.py(0.33 + 0.013));
  EXPECT_NE(band, kWhite);
  EXPECT_GT(band.r + band.g + band.b, 3 * 180);
  EXPECT_TRUE(tint_of(band, chart_color(0), 0.1)) << testing::PrintToString(band);
}

TEST(Chart, LineChartSkipsNonFiniteAndPadsFlatData) {
  TempDir d;
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  Series s{"with gaps", {1, 2, 3, 4, 5}, {0.5, nan, 0.5, inf, 0.5}, {0.1, 0.1, nan, 0.1, 0.1}, {}};
  PlotArea a;
  ASSERT_NO_THROW(a = write_line_chart(d.file("gaps.png"), ChartStyle{}, {s}));
  EXPECT_LT(a.y_min, 0.4);  // all equal: padded range around 0.5 (+- err)
  EXPECT_GT(a.y_max, 0.6);
  EXPECT_TRUE(std::isfinite(a.y_min) && std::isfinite(a.y_max));
  const Image img = read_png_rgb(d.file("gaps.png"));
  EXPECT_EQ(img.width, 900);
  // Points 1, 3, 5 stand alone (each neighbour is NaN or inf): marked, and no curve between them.
  for (double x : {1.0, 3.0, 5.0}) EXPECT_TRUE(img.near(a.px(x), a.py(0.5), chart_color(0))) << x;
  EXPECT_FALSE(img.near(a.px(1.5), a.py(0.5), chart_color(0), 1, 30));
  EXPECT_FALSE(img.near(a.px(3.5), a.py(0.5), chart_color(0), 1, 30));
}

TEST(Chart, EmptyDataDrawsAxesAndANote) {
  ChartStyle style;
  style.title = "nothing yet";
  const RenderedChart c = render_line_chart(FigureFormat::Png, style, {});
  const Image img = decode_png(c.bytes, "the empty chart");
  const PlotArea& a = c.area;
  int ink = 0;  // the "no data" note in the middle of the plot
  for (int y = a.top + a.height / 2 - 15; y < a.top + a.height / 2 + 15; ++y)
    for (int x = a.left + a.width / 2 - 60; x < a.left + a.width / 2 + 60; ++x) ink += gray(img.at(x, y), 200);
  EXPECT_GT(ink, 20);
  EXPECT_TRUE(gray(img.at(a.left - 1, a.top + a.height / 3), 0x80));  // the y axis
  EXPECT_TRUE(gray(img.at(a.left + a.width / 3, a.top + a.height), 0x80));  // the x axis
  EXPECT_NO_THROW(render_bar_chart(FigureFormat::Png, style, {}, {}));
  EXPECT_NO_THROW(render_scatter_chart(FigureFormat::Svg, style, {Series{"empty", {}, {}, {}, {}}}, true));
}

TEST(Chart, LegendSitsAboveThePlot) {
  ChartStyle style;
  style.title = "legend";
  Series s{"a series with a long name", {1, 2, 3}, {0.2, 0.5, 0.9}, {}, {}};
  const RenderedChart c = render_line_chart(FigureFormat::Png, style, {s});
  const Image img = decode_png(c.bytes, "legend chart");
  // The legend's line swatch: the series colour above the plot area, below the title.
  bool swatch = false;
  for (int y = 30; y < c.area.top - 1 && !swatch; ++y)
    for (int x = 0; x < img.width && !swatch; ++x) swatch = distance(img.at(x, y), chart_color(0)) <= 10;
  EXPECT_TRUE(swatch);
  ChartStyle hidden = style;
  hidden.legend = false;
  const RenderedChart h = render_line_chart(FigureFormat::Png, hidden, {s});
  EXPECT_LT(h.area.top, c.area.top);  // no legend: the plot grows upwards
}

TEST(Chart, ScatterDrawsPointsClassesAndTheDiagonal) {
  TempDir d;
  Series pts{"samples", {}, {}, {}, {}};
  for (int i = 0; i < 2000; ++i) {  // a cloud well under the diagonal, plus three known points
    pts.x.push_back(0.55 + 0.4 * ((i * 37) % 100) / 100.0);
    pts.y.push_back(0.05 + 0.3 * ((i * 61) % 100) / 100.0);
    pts.color_class.push_back(i % 2);
  }
  Series marks{"marks", {0.12, 0.27, 0.36}, {0.93, 0.74, 0.63}, {}, {}};  // off the grid lines
  ChartStyle style;
  style.x_min = style.y_min = 0;
  style.x_max = style.y_max = 1;
  style.width = style.height = 600;
  style.class_names = {"audio wins", "visual wins"};
  const PlotArea a = write_scatter_chart(d.file("scatter.png"), style, {pts, marks}, true);
  const Image img = read_png_rgb(d.file("scatter.png"));
  ASSERT_EQ(img.width, 600);
  ASSERT_EQ(img.height, 600);
  EXPECT_DOUBLE_EQ(a.x_max, 1.0);
  for (size_t i = 0; i < marks.x.size(); ++i) {
    // Many points are drawn translucent: a tint of the set's colour at each point.
    const Color p = img.at(a.px(marks.x[i]), a.py(marks.y[i]));
    EXPECT_TRUE(tint_of(p, chart_color(1))) << "mark " << i << ": " << testing::PrintToString(p);
  }
  // Both colour classes show in the cloud.
  int class0 = 0, class1 = 0;
  for (int y = static_cast<int>(a.py(0.35)); y <= a.py(0.05); ++y)
    for (int x = static_cast<int>(a.px(0.55)); x <= a.px(0.95); ++x) {
      class0 += tint_of(img.at(x, y), chart_color(0));
      class1 += tint_of(img.at(x, y), chart_color(1));
    }
  EXPECT_GT(class0, 50);
  EXPECT_GT(class1, 50);
  int dashes = 0, probes = 0;  // gray dashes along y = x (where no point lies)
  for (double t = 0.05; t < 0.5; t += 0.01) {
    ++probes;
    bool found = false;
    for (int dy = -1; dy <= 1 && !found; ++dy)
      for (int dx = -1; dx <= 1 && !found; ++dx) found = gray(img.at(a.px(t) + dx, a.py(t) + dy), 0xC0);
    dashes += found;
  }
  EXPECT_GT(dashes, probes / 2);
  EXPECT_LT(dashes, probes);  // dashed, not solid
  // No diagonal without the flag.
  const RenderedChart plain = render_scatter_chart(FigureFormat::Png, style, {marks}, false);
  const Image pimg = decode_png(plain.bytes, "plain scatter");
  EXPECT_FALSE(gray(pimg.at(plain.area.px(0.45), plain.area.py(0.45)), 0xD0));
}
