// Figure output: the format picked by the extension (PNG, SVG, PDF), anti-aliased text, errors that
// name the problem, and atomic writes that leave nothing behind on failure.
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

TEST(FigureFormat, NamesExtensionsAndPaths) {
  EXPECT_EQ(parse_figure_format("png"), FigureFormat::Png);
  EXPECT_EQ(parse_figure_format("svg"), FigureFormat::Svg);
  EXPECT_EQ(parse_figure_format("pdf"), FigureFormat::Pdf);
  const std::string msg = error_of([] { parse_figure_format("jpeg"); });
  EXPECT_NE(msg.find("--figure-format"), std::string::npos) << msg;
  EXPECT_NE(msg.find("png|svg|pdf"), std::string::npos) << msg;
  EXPECT_NE(msg.find("jpeg"), std::string::npos) << msg;
  EXPECT_STREQ(extension(FigureFormat::Png), "png");
  EXPECT_STREQ(extension(FigureFormat::Svg), "svg");
  EXPECT_STREQ(extension(FigureFormat::Pdf), "pdf");
  EXPECT_EQ(figure_format_for_path("out/fig.SVG"), FigureFormat::Svg);
  EXPECT_EQ(figure_format_for_path("a.b/curve.pdf"), FigureFormat::Pdf);
  EXPECT_EQ(figure_format_for_path("curve.png"), FigureFormat::Png);
  EXPECT_NE(error_of([] { figure_format_for_path("a.b/curve"); }).find("a.b/curve"), std::string::npos);
}

TEST(FigureOutput, TextIsAntiAliased) {
  TempDir d;
  ChartStyle style;
  style.title = "Top-1 accuracy per epoch";
  const PlotArea a = write_line_chart(d.file("title.png"), style, {Series{"s", {1, 2}, {0.3, 0.6}, {}, {}}});
  const Image img = read_png_rgb(d.file("title.png"));
  int dark = 0, intermediate = 0;  // in the title's band above the legend and plot
  for (int y = 0; y < std::min(a.top, 34); ++y)
    for (int x = 0; x < img.width; ++x) {
      const Color p = img.at(x, y);
      if (!gray(p, 256)) continue;  // the legend's colours
      dark += p.r < 0x50;
      intermediate += p.r >= 0x50 && p.r < 0xF0;
    }
  EXPECT_GT(dark, 100);         // a bold title
  EXPECT_GT(intermediate, 50);  // smooth edges: gray levels between ink and paper
}

TEST(FigureOutput, VectorFormatsByExtension) {
  TempDir d;
  ChartStyle style;
  style.title = "accuracy";
  style.width = 640;
  style.height = 400;
  Series s{"eval", {1, 2, 3}, {0.2, 0.4, 0.5}, {}, {}};
  const PlotArea svg_area = write_line_chart(d.file("curve.svg"), style, {s});
  const std::string svg = read_all(d.file("curve.svg"));
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u) << svg.substr(0, 80);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_EQ(svg_attribute(svg, "width"), "640px");
  EXPECT_EQ(svg_attribute(svg, "height"), "400px");
  EXPECT_EQ(svg_attribute(svg, "viewBox"), "0 0 640 400");
  write_bar_chart(d.file("bars.pdf"), style, {"a", "b"}, {Series{"g", {}, {1, 2}, {}, {}}});
  const std::string pdf = read_all(d.file("bars.pdf"));
  EXPECT_EQ(pdf.rfind("%PDF-", 0), 0u);
  EXPECT_NE(pdf.find("%%EOF"), std::string::npos);
  EXPECT_NE(pdf.find("/MediaBox [ 0 0 640 400 ]"), std::string::npos);
  // The layout does not depend on the format.
  const PlotArea png_area = write_line_chart(d.file("curve.png"), style, {s});
  EXPECT_EQ(png_area.left, svg_area.left);
  EXPECT_EQ(png_area.top, svg_area.top);
  EXPECT_EQ(png_area.width, svg_area.width);
  EXPECT_EQ(png_area.height, svg_area.height);
  const RenderedChart mem = render_scatter_chart(FigureFormat::Svg, style, {s}, true);
  EXPECT_NE(mem.bytes.find("<svg"), std::string::npos);
}

TEST(Chart, SizeMismatchesNameTheProblem) {
  Series bad{"audio", {1, 2, 3}, {1, 2}, {}, {}};
  std::string msg = error_of([&] { render_line_chart(FigureFormat::Png, ChartStyle{}, {bad}); });
  EXPECT_NE(msg.find("chart: expected as many x as y"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'audio'"), std::string::npos) << msg;
  msg = error_of([&] {
    render_bar_chart(FigureFormat::Png, ChartStyle{}, {"a", "b", "c"}, {Series{"after", {}, {1, 2}, {}, {}}});
  });
  EXPECT_NE(msg.find("one value per category (3)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'after'"), std::string::npos) << msg;
  msg = error_of([&] { render_line_chart(FigureFormat::Svg, ChartStyle{}, {Series{"e", {1, 2}, {1, 2}, {0.1}, {}}}); });
  EXPECT_NE(msg.find("err"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'e'"), std::string::npos) << msg;
  msg = error_of(
      [&] { render_scatter_chart(FigureFormat::Pdf, ChartStyle{}, {Series{"c", {1, 2}, {1, 2}, {}, {0}}}, false); });
  EXPECT_NE(msg.find("color_class"), std::string::npos) << msg;
  ChartStyle flipped;
  flipped.y_min = 1;
  flipped.y_max = 0;
  msg = error_of([&] { render_line_chart(FigureFormat::Png, flipped, {}); });
  EXPECT_NE(msg.find("y_min < y_max"), std::string::npos) << msg;
  ChartStyle tiny;
  tiny.width = 10;
  msg = error_of([&] { render_line_chart(FigureFormat::Png, tiny, {}); });
  EXPECT_NE(msg.find("10x500"), std::string::npos) << msg;
}

TEST(FigureOutput, BadExtensionThrowsAndWritesNothing) {
  TempDir d;
  Series s{"s", {1, 2}, {1, 2}, {}, {}};
  for (const std::string name : {"chart.jpg", "chart", "chart.png.bak"}) {
    const std::string path = d.file(name);
    const std::string msg = error_of([&] { write_line_chart(path, ChartStyle{}, {s}); });
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(".png, .svg or .pdf"), std::string::npos) << msg;
  }
  EXPECT_NE(error_of([&] { write_bar_chart(d.file("b.gif"), ChartStyle{}, {}, {}); }).find("b.gif"), std::string::npos);
  EXPECT_NE(error_of([&] { write_scatter_chart(d.file("c.eps"), ChartStyle{}, {}, false); }).find("c.eps"),
            std::string::npos);
  EXPECT_EQ(count_files(d.path), 0u);
}

TEST(FigureOutput, UnwritablePathThrowsAndLeavesNoTempFile) {
  TempDir d;
  std::ofstream(d.file("blocker")) << "a file where a folder should be";
  Series s{"s", {1, 2}, {1, 2}, {}, {}};
  for (const std::string ext : {"png", "svg", "pdf"}) {
    const std::string under_file = d.file("blocker/sub/chart." + ext);
    std::string msg = error_of([&] { write_line_chart(under_file, ChartStyle{}, {s}); });
    EXPECT_EQ(msg.rfind("figure: expected a writable figure path", 0), 0u) << msg;
    EXPECT_NE(msg.find(under_file), std::string::npos) << msg;
    // The final name is a folder: the temp file is written, then the rename fails.
    const std::string taken = d.file("taken." + ext);
    fs::create_directories(taken);
    msg = error_of([&] { write_line_chart(taken, ChartStyle{}, {s}); });
    EXPECT_NE(msg.find(taken), std::string::npos) << msg;
    EXPECT_TRUE(fs::is_directory(taken));
  }
  EXPECT_FALSE(has_temp_files(d.path));
  EXPECT_EQ(count_files(d.path), 1u);  // only the blocker
}

TEST(FigureOutput, RewritingReplacesTheFileAtomically) {
  TempDir d;
  ChartStyle style;
  Series s{"s", {1, 2}, {1, 2}, {}, {}};
  write_line_chart(d.file("fig.png"), style, {s});
  style.width = 400;
  write_line_chart(d.file("fig.png"), style, {s});
  EXPECT_EQ(read_png_rgb(d.file("fig.png")).width, 400);
  EXPECT_FALSE(has_temp_files(d.path));
  EXPECT_EQ(count_files(d.path), 1u);
}

TEST(FigureOutput, MalformedUtf8IsReplacedNotFatal) {
  TempDir d;
  ChartStyle style;
  style.title = "caf\xC3\xA9 \xFF\xFE run \xE2\x82";  // a Latin-1 path, a cut sequence
  style.y_label = "|\xCE\xB3|, |\xCE\xB2|";           // Greek is fine as it is
  const std::vector<std::string> cats = {"bn\xC0\xAF", std::string("nul\0byte", 8)};  // overlong, NUL
  PlotArea a;
  ASSERT_NO_THROW(a = write_bar_chart(d.file("odd.png"), style, cats, {Series{"g\xFF", {}, {0.5, 1}, {}, {}}}));
  const Image img = read_png_rgb(d.file("odd.png"));
  EXPECT_EQ(img.width, 900);
  EXPECT_EQ(img.at(a.px(bar_center(1, 0, 1)), a.py(0.5)), chart_color(0));  // drawing went on after the text
  EXPECT_NO_THROW(render_line_chart(FigureFormat::Svg, style, {}));
  EXPECT_NO_THROW(render_line_chart(FigureFormat::Pdf, style, {}));
}
