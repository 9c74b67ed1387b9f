#include <gtest/gtest.h>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <ostream>
#include <limits>
#include <string>
#include <vector>

#include "avtune/report/bitmap_font.h"
#include "avtune/report/canvas.h"
#include "avtune/report/chart.h"
#include "avtune/util/error.h"
#include "../test_support.h"

using namespace avtune;
namespace fs = std::filesystem;

namespace avtune {
// Readable colours in failure messages.
static void PrintTo(const Rgb& c, std::ostream* os) {
  *os << "rgb(" << int(c.r) << ", " << int(c.g) << ", " << int(c.b) << ")";
}
}  // namespace avtune

namespace {

constexpr Rgb kWhite{255, 255, 255};

// A PNG read back with libpng itself, as 8-bit RGB.
struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
  Rgb at(int x, int y) const {
    const size_t i = (static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) * 3;
    return Rgb{rgb[i], rgb[i + 1], rgb[i + 2]};
  }
  // Whether a pixel of colour c lies within `r` pixels (Chebyshev) of (x, y).
  bool near(double fx, double fy, Rgb c, int r = 2) const {
    const int x0 = static_cast<int>(std::lround(fx)), y0 = static_cast<int>(std::lround(fy));
    for (int y = y0 - r; y <= y0 + r; ++y)
      for (int x = x0 - r; x <= x0 + r; ++x)
        if (x >= 0 && y >= 0 && x < width && y < height && at(x, y) == c) return true;
    return false;
  }
};

Image read_png_rgb(const std::string& path) {
  Image out;
  std::ifstream in(path, std::ios::binary);
  char sig[8] = {0};
  in.read(sig, 8);
  const unsigned char expected[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  EXPECT_EQ(std::memcmp(sig, expected, 8), 0) << path << " does not start with the PNG signature";
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, path.c_str())) {
    ADD_FAILURE() << "libpng cannot read " << path << ": " << img.message;
    return out;
  }
  img.format = PNG_FORMAT_RGB;
  out.width = static_cast<int>(img.width);
  out.height = static_cast<int>(img.height);
  out.rgb.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, out.rgb.data(), 0, nullptr)) {
    ADD_FAILURE() << "libpng cannot decode " << path << ": " << img.message;
    out = Image{};
  }
  return out;
}

using test::error_of;

// Whether p is c blended over white (the same opacity in every channel that c moves far from white).
bool tint_of(Rgb p, Rgb c) {
  if (p == kWhite) return false;
  const int pc[3] = {p.r, p.g, p.b}, cc[3] = {c.r, c.g, c.b};
  double lo = 2, hi = -1;
  for (int k = 0; k < 3; ++k) {
    if (255 - cc[k] < 40) continue;
    const double alpha = (255.0 - pc[k]) / (255.0 - cc[k]);
    lo = std::min(lo, alpha);
    hi = std::max(hi, alpha);
  }
  return lo > 0.2 && hi <= 1.0 + 1e-9 && hi - lo < 0.08;
}

bool has_temp_files(const fs::path& dir) {
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().filename().string().find(".tmp.") != std::string::npos) return true;
  return false;
}

}  // namespace

TEST(BitmapFont, EveryPrintableAsciiHasInkAndUnknownsFallBack) {
  for (char32_t c = 33; c < 127; ++c) {
    ASSERT_TRUE(has_glyph(c)) << static_cast<int>(c);
    int ink = 0;
    for (uint8_t row : glyph(c)) ink += row != 0;
    EXPECT_GT(ink, 0) << "glyph " << static_cast<char>(c) << " is blank";
  }
  EXPECT_TRUE(has_glyph(U' '));
  EXPECT_EQ(glyph(U'\u4E2D'), glyph(U'?'));
  EXPECT_NE(glyph(U'O'), glyph(U'Q'));
  EXPECT_EQ(decode_utf8("a\xC2\xB1" "b"), std::u32string(U"a\u00B1b"));
  EXPECT_EQ(decode_utf8("\xFF" "x").size(), 2u);  // a malformed byte is one replacement glyph
}

TEST(Canvas, TextStaysWithinItsMeasuredBox) {
  test::TempDir d;
  const std::string s = "Hello layer3.1.bn2 0.5";
  const int w = Canvas::text_width(s), h = Canvas::text_height();
  EXPECT_EQ(w, static_cast<int>(s.size()) * kGlyphAdvance - 1);
  Canvas cv(400, 180);
  cv.text(10, 10, s, Rgb{0, 0, 0});
  cv.text(300, 20, s, Rgb{0, 0, 0}, 1, true);  // vertical: h wide, w tall
  cv.write_png(d.file("text.png"));
  const Image img = read_png_rgb(d.file("text.png"));
  ASSERT_EQ(img.width, 400);
  int inside = 0, first_glyph = 0, last_glyph = 0, vertical = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      if (img.at(x, y) == kWhite) continue;
      const bool horizontal_box = x >= 10 && x < 10 + w && y >= 10 && y < 10 + h;
      const bool vertical_box = x >= 300 && x < 300 + h && y >= 20 && y < 20 + w;
      EXPECT_TRUE(horizontal_box || vertical_box) << "ink outside the text boxes at " << x << "," << y;
      inside += horizontal_box;
      vertical += vertical_box;
      first_glyph += horizontal_box && x < 10 + kGlyphWidth;
      last_glyph += horizontal_box && x >= 10 + w - kGlyphWidth;
    }
  EXPECT_GT(inside, 50);
  EXPECT_EQ(vertical, inside);  // the same glyphs, turned
  EXPECT_GT(first_glyph, 0);
  EXPECT_GT(last_glyph, 0);
  EXPECT_EQ(Canvas::text_width("ab", 2), 2 * (2 * kGlyphAdvance - 1));
  EXPECT_EQ(Canvas::text_width("\xC2\xB1" "1"), 2 * kGlyphAdvance - 1);  // "±1": two glyphs
}

TEST(Canvas, AlphaBlendsAndClips) {
  Canvas cv(20, 20);
  cv.fill_rect(0, 0, 10, 10, Rgb{0, 0, 0}, 0.5);
  EXPECT_NEAR(cv.pixel(5, 5).r, 128, 1);
  cv.set_clip(0, 0, 5, 5);
  cv.fill_rect(0, 0, 20, 20, Rgb{255, 0, 0});
  cv.reset_clip();
  EXPECT_EQ(cv.pixel(4, 4), (Rgb{255, 0, 0}));
  EXPECT_NE(cv.pixel(6, 6), (Rgb{255, 0, 0}));
  cv.line(0, 19, 19, 19, Rgb{0, 0, 255}, 3);
  EXPECT_EQ(cv.pixel(10, 18), (Rgb{0, 0, 255}));
  EXPECT_THROW(cv.pixel(20, 0), Error);
  EXPECT_THROW((Canvas(0, 10)), Error);
  cv.line(0, 0, std::numeric_limits<double>::quiet_NaN(), 5, Rgb{}, 1);  // ignored, no hang
  cv.line(-1e12, -1e12, 1e12, 1e12, Rgb{0, 255, 0}, 2);                // clipped to the canvas first
  EXPECT_EQ(cv.pixel(10, 10), (Rgb{0, 255, 0}));
}

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
  EXPECT_EQ(format_tick(0.2, 0.2), "0.2");
  EXPECT_EQ(format_tick(-1e-17, 0.05), "0.00");  // never "-0.00"
  EXPECT_EQ(format_tick(1500, 500), "1500");
  EXPECT_EQ(format_tick(12, 1), "12");
}

TEST(Chart, BarChartBarsReachTheirValues) {
  test::TempDir d;
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
      // The bar's colour runs up from the axis to the value's row.
      int y = base;
      while (y >= a.top && img.at(x, y) == chart_color(g)) --y;
      const int top = y + 1;
      EXPECT_NEAR(top, a.py(v), 2.0) << "group " << g << " category " << i;
      if (v > 0.05) {
        EXPECT_EQ(img.at(x, static_cast<int>(std::lround(a.py(v / 2)))), chart_color(g));
      }
    }
  // Between categories there is no bar.
  const int gap_x = static_cast<int>(std::lround(a.px(1.0)));
  EXPECT_NE(img.at(gap_x, static_cast<int>(std::lround(a.py(0.1)))), chart_color(0));
}

TEST(Chart, BarChartNegativeValuesHangFromZeroAndNaNIsSkipped) {
  test::TempDir d;
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
  const int x0 = static_cast<int>(std::lround(a.px(bar_center(0, 0, 1))));
  EXPECT_EQ(img.at(x0 + 3, static_cast<int>(std::lround(a.py(-0.25)))), chart_color(0));  // below zero
  EXPECT_NE(img.at(x0 + 3, static_cast<int>(std::lround(a.py(0.25)))), chart_color(0));  // nothing above
  const int x1 = static_cast<int>(std::lround(a.px(bar_center(1, 0, 1))));
  for (int y = a.top; y < a.top + a.height; ++y) ASSERT_NE(img.at(x1, y), chart_color(0)) << "NaN bar drawn";
}

TEST(Chart, ManyCategoriesStillRender) {
  test::TempDir d;
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
}

TEST(Chart, LineChartDrawsSeriesNearTheirPoints) {
  test::TempDir d;
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
    }
  // The band is a light shade of the colour, above and below the curve.
  const Rgb band = img.at(static_cast<int>(std::lround(a.px(6.5))), static_cast<int>(std::lround(a.py(0.33 + 0.013))));
  EXPECT_NE(band, kWhite);
  EXPECT_GT(band.r + band.g + band.b, 3 * 180);
}

TEST(Chart, LineChartSkipsNonFiniteAndPadsFlatData) {
  test::TempDir d;
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  Series s{"with gaps", {1, 2, 3, 4, 5}, {0.5, nan, 0.5, inf, 0.5}, {0.1, 0.1, nan, 0.1, 0.1}, {}};
  PlotArea a;
  ASSERT_NO_THROW(a = write_line_chart(d.file("gaps.png"), ChartStyle{}, {s}));
  EXPECT_LT(a.y_min, 0.4);  // all equal: padded range around 0.5 (+- err)
  EXPECT_GT(a.y_max, 0.6);
  EXPECT_TRUE(std::isfinite(a.y_min) && std::isfinite(a.y_max));
  EXPECT_EQ(read_png_rgb(d.file("gaps.png")).width, 900);
}

TEST(Chart, EmptyDataDrawsAxesAndANote) {
  ChartStyle style;
  style.title = "nothing yet";
  RenderedChart c = render_line_chart(style, {});
  const PlotArea& a = c.area;
  int ink = 0;  // the "no data" note in the middle of the plot
  for (int y = a.top + a.height / 2 - 15; y < a.top + a.height / 2 + 15; ++y)
    for (int x = a.left + a.width / 2 - 60; x < a.left + a.width / 2 + 60; ++x) {
      const Rgb p = c.canvas.pixel(x, y);
      ink += p.r < 200 && p.r == p.g && p.g == p.b;
    }
  EXPECT_GT(ink, 20);
  EXPECT_NE(c.canvas.pixel(a.left - 1, a.top + a.height / 3), kWhite);  // the y axis
  EXPECT_NO_THROW(render_bar_chart(style, {}, {}));
  EXPECT_NO_THROW(render_scatter_chart(style, {Series{"empty", {}, {}, {}, {}}}, true));
}

TEST(Chart, ScatterDrawsPointsAndTheDiagonal) {
  test::TempDir d;
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
    const int x = static_cast<int>(std::lround(a.px(marks.x[i]))), y = static_cast<int>(std::lround(a.py(marks.y[i])));
    const Rgb p = img.at(x, y);
    EXPECT_TRUE(tint_of(p, chart_color(1))) << "mark " << i << ": " << testing::PrintToString(p);
  }
  int dashes = 0, probes = 0;  // gray dashes along y = x (where no point lies)
  for (double t = 0.05; t < 0.5; t += 0.01) {
    ++probes;
    bool gray = false;
    for (int dy = -1; dy <= 1 && !gray; ++dy)
      for (int dx = -1; dx <= 1 && !gray; ++dx) {
        const Rgb p = img.at(static_cast<int>(std::lround(a.px(t))) + dx, static_cast<int>(std::lround(a.py(t))) + dy);
        gray = p.r == p.g && p.g == p.b && p.r < 0xD0;
      }
    dashes += gray;
  }
  EXPECT_GT(dashes, probes / 2);
  // No diagonal without the flag.
  RenderedChart plain = render_scatter_chart(style, {marks}, false);
  const Rgb mid = plain.canvas.pixel(static_cast<int>(std::lround(plain.area.px(0.45))),
                                     static_cast<int>(std::lround(plain.area.py(0.45))));
  EXPECT_FALSE(mid.r == mid.g && mid.g == mid.b && mid.r < 0xD0);
}

TEST(Chart, SizeMismatchesNameTheProblem) {
  Series bad{"audio", {1, 2, 3}, {1, 2}, {}, {}};
  std::string msg = error_of([&] { render_line_chart(ChartStyle{}, {bad}); });
  EXPECT_NE(msg.find("as many x as y"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'audio'"), std::string::npos) << msg;
  msg = error_of([&] { render_bar_chart(ChartStyle{}, {"a", "b", "c"}, {Series{"after", {}, {1, 2}, {}, {}}}); });
  EXPECT_NE(msg.find("one value per category (3)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'after'"), std::string::npos) << msg;
  msg = error_of([&] { render_line_chart(ChartStyle{}, {Series{"e", {1, 2}, {1, 2}, {0.1}, {}}}); });
  EXPECT_NE(msg.find("err"), std::string::npos) << msg;
  msg = error_of([&] { render_scatter_chart(ChartStyle{}, {Series{"c", {1, 2}, {1, 2}, {}, {0}}}, false); });
  EXPECT_NE(msg.find("color_class"), std::string::npos) << msg;
  ChartStyle flipped;
  flipped.y_min = 1;
  flipped.y_max = 0;
  msg = error_of([&] { render_line_chart(flipped, {}); });
  EXPECT_NE(msg.find("y_min < y_max"), std::string::npos) << msg;
  ChartStyle tiny;
  tiny.width = 10;
  EXPECT_THROW(render_line_chart(tiny, {}), Error);
}

TEST(Chart, UnwritablePathThrowsAndLeavesNoTempFile) {
  test::TempDir d;
  std::ofstream(d.file("blocker")) << "a file where a folder should be";
  Series s{"s", {1, 2}, {1, 2}, {}, {}};
  const std::string under_file = d.file("blocker/sub/chart.png");
  std::string msg = error_of([&] { write_line_chart(under_file, ChartStyle{}, {s}); });
  EXPECT_NE(msg.find(under_file), std::string::npos) << msg;
  // The final name is a folder: the temp file is written, then the rename fails.
  fs::create_directories(d.file("taken.png"));
  msg = error_of([&] { write_line_chart(d.file("taken.png"), ChartStyle{}, {s}); });
  EXPECT_NE(msg.find(d.file("taken.png")), std::string::npos) << msg;
  EXPECT_FALSE(has_temp_files(d.path));
  EXPECT_TRUE(fs::is_directory(d.file("taken.png")));
}
