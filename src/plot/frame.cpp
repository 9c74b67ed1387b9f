// The frame around a chart's plot: layout of title, legend, axes and labels, and their drawing.
#include <algorithm>
#include <cmath>
#include <utility>

#include "avtune/util/error.h"
#include "chart_layout.h"

namespace avtune::plot {

namespace {

constexpr double kMargin = 12;  // figure edge to anything drawn
constexpr int kTickLen = 5;
constexpr double kTickGap = 4;  // tick to its label

int pixel(double v) { return static_cast<int>(std::lround(v)); }

}  // namespace

std::string fit_text(CairoFigure& fig, const std::string& s, double max_px, const Font& f) {
  if (fig.text_width(s, f) <= max_px) return s;
  std::string t = s;
  while (!t.empty()) {
    while (!t.empty() && (static_cast<unsigned char>(t.back()) & 0xC0) == 0x80) t.pop_back();
    if (!t.empty()) t.pop_back();
    if (fig.text_width(t + "..", f) <= max_px) return t + "..";
  }
  return "";
}

std::vector<std::string> wrap_text(CairoFigure& fig, const std::string& s, double max_px, const Font& f,
                                   size_t max_lines) {
  std::vector<std::string> words, lines;
  size_t p = 0;
  while (p < s.size()) {
    const size_t q = s.find(' ', p);
    const size_t end = q == std::string::npos ? s.size() : q;
    if (end > p) words.push_back(s.substr(p, end - p));
    p = end + 1;
  }
  std::string line;
  for (const auto& w : words) {
    const std::string joined = line.empty() ? w : line + " " + w;
    if (line.empty() || fig.text_width(joined, f) <= max_px || lines.size() + 1 == max_lines) {
      line = joined;
    } else {
      lines.push_back(line);
      line = w;
    }
  }
  if (!line.empty()) lines.push_back(line);
  for (auto& l : lines) l = fit_text(fig, l, max_px, f);
  return lines;
}

Frame::Frame(CairoFigure& fig, const ChartStyle& style, std::vector<LegendEntry> legend, Range xr, Range yr,
             const std::vector<std::string>* categories, bool integer_x)
    : fig_(fig),
      style_(style),
      legend_(fig, style.legend ? std::move(legend) : std::vector<LegendEntry>{}, fig.width() - 2 * kMargin),
      categories_(categories) {
  const double W = fig.width(), H = fig.height();
  double top = kMargin;
  if (!style.title.empty()) {
    title_ = wrap_text(fig, style.title, W - 2 * kMargin, kTitleFont, 2);
    title_y_ = top;
    top += static_cast<double>(title_.size()) * (fig.text_height(kTitleFont) + 2) + 6;
  }
  if (!legend_.empty()) {
    legend_y_ = top;
    top += legend_.height() + 10;
  } else {
    top += 6;  // room for the top tick label's upper half
  }

  // The left margin needs the y labels, which need the plot height, which (bar charts) needs the
  // category labels' layout, which needs the plot width: settle it in a few rounds.
  const double text_h = fig.text_height(kLabelFont);
  double left = kMargin + 40, right = kMargin + 8, bottom = kMargin + 40;
  for (int round = 0; round < 3; ++round) {
    const int plot_h = std::max(10, static_cast<int>(H - top - bottom));
    y_ = make_axis(fig, yr, plot_h, false);
    left = kMargin + (style.y_label.empty() ? 0 : text_h + 8) + y_.label_width + kTickGap + kTickLen + 1;
    const int plot_w = std::max(10, static_cast<int>(W - left - right));
    double labels_h = text_h;
    if (categories_ == nullptr) {
      x_ = make_axis(fig, xr, plot_w, true, integer_x);
      // The last label may hang over the right end of the axis.
      const double last = x_.ticks.empty() ? xr.lo : x_.ticks.back();
      const double hang = x_.label_width / 2 - (xr.hi - last) / (xr.hi - xr.lo) * plot_w;
      right = std::max(kMargin + 8, std::ceil(hang) + kMargin);
    } else {
      x_.range = xr;
      labels_h = layout_categories(plot_w);
    }
    bottom = kMargin + (style.x_label.empty() ? 0 : text_h + 6) + labels_h + kTickGap + kTickLen + 1;
  }
  area_.left = static_cast<int>(std::ceil(left));
  area_.top = static_cast<int>(std::ceil(top));
  area_.width = static_cast<int>(std::floor(W - right)) - area_.left;
  area_.height = static_cast<int>(std::floor(H - bottom)) - area_.top;
  if (area_.width < 20 || area_.height < 20)
    fail(kComponent, "a figure large enough for its title, legend and labels",
         "a plot area of " + std::to_string(area_.width) + "x" + std::to_string(area_.height) + " pixels in " +
             std::to_string(fig.width()) + "x" + std::to_string(fig.height()));
  area_.x_min = xr.lo;
  area_.x_max = xr.hi;
  area_.y_min = yr.lo;
  area_.y_max = yr.hi;
}

void Frame::clip_to_area(double extra) {
  fig_.clip(area_.left - extra, area_.top - extra, area_.width + 2 * extra, area_.height + 2 * extra);
}

void Frame::draw_grid(bool vertical) {
  for (double t : y_.ticks) fig_.fill_rect(area_.left, pixel(area_.py(t)), area_.width, 1, kGrid);
  if (vertical && categories_ == nullptr)
    for (double t : x_.ticks) fig_.fill_rect(pixel(area_.px(t)), area_.top, 1, area_.height, kGrid);
}

void Frame::draw_note(const std::string& note) {
  const double w = fig_.text_width(note, kNoteFont), h = fig_.text_height(kNoteFont);
  fig_.text(area_.left + (area_.width - w) / 2, area_.top + (area_.height - h) / 2, note, kMuted, kNoteFont);
}

void Frame::draw_decorations() {
  fig_.reset_clip();
  const PlotArea& a = area_;
  cairo_t* cr = fig_.cr();
  const int bottom = a.top + a.height;  // the row of the x axis line
  fig_.set_color(kAxis);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, a.left - 0.5, a.top - 0.5, a.width + 1, a.height + 1);
  cairo_stroke(cr);
  // Text boxes placed so the middle of their capitals sits on the tick.
  const double to_mid = fig_.ascent(kLabelFont) - fig_.cap_height(kLabelFont) / 2;
  for (size_t i = 0; i < y_.ticks.size(); ++i) {
    const int y = pixel(a.py(y_.ticks[i]));
    fig_.fill_rect(a.left - 1 - kTickLen, y, kTickLen, 1, kAxis);
    const double w = fig_.text_width(y_.labels[i], kLabelFont);
    fig_.text(a.left - 1 - kTickLen - kTickGap - w, y + 0.5 - to_mid, y_.labels[i], kInk, kLabelFont);
  }
  const double label_top = bottom + 1 + kTickLen + kTickGap;
  if (categories_ == nullptr) {
    for (size_t i = 0; i < x_.ticks.size(); ++i) {
      const int x = pixel(a.px(x_.ticks[i]));
      fig_.fill_rect(x, bottom + 1, 1, kTickLen, kAxis);
      const double w = fig_.text_width(x_.labels[i], kLabelFont);
      fig_.text(x + 0.5 - w / 2, label_top, x_.labels[i], kInk, kLabelFont);
    }
  } else {
    for (size_t i = 0; i < categories_->size(); i += label_every_) {
      const int x = pixel(a.px(static_cast<double>(i) + 0.5));
      fig_.fill_rect(x, bottom + 1, 1, kTickLen, kAxis);
      const std::string& s = category_labels_[i];
      if (vertical_labels_) fig_.text(x + 0.5 - to_mid, label_top, s, kInk, kLabelFont, true);
      else fig_.text(x + 0.5 - fig_.text_width(s, kLabelFont) / 2, label_top, s, kInk, kLabelFont);
    }
  }
  const double text_h = fig_.text_height(kLabelFont);
  if (!style_.x_label.empty()) {
    const std::string s = fit_text(fig_, style_.x_label, a.width);
    fig_.text(a.left + (a.width - fig_.text_width(s, kLabelFont)) / 2, fig_.height() - kMargin - text_h, s, kInk,
              kLabelFont);
  }
  if (!style_.y_label.empty()) {
    const std::string s = fit_text(fig_, style_.y_label, a.height);
    fig_.text(kMargin, a.top + (a.height - fig_.text_width(s, kLabelFont)) / 2, s, kInk, kLabelFont, true);
  }
  const double title_h = fig_.text_height(kTitleFont) + 2;
  for (size_t i = 0; i < title_.size(); ++i)
    fig_.text((fig_.width() - fig_.text_width(title_[i], kTitleFont)) / 2,
              title_y_ + static_cast<double>(i) * title_h, title_[i], kInk, kTitleFont);
  if (!legend_.empty()) {
    const double w = legend_.width();
    const double x = std::clamp(a.left + (a.width - w) / 2, kMargin, std::max(kMargin, fig_.width() - kMargin - w));
    legend_.draw(fig_, std::round(x), std::round(legend_y_));
  }
}

double Frame::layout_categories(double plot_w) {
  const auto& cats = *categories_;
  const size_t n = cats.size();
  const double text_h = fig_.text_height(kLabelFont);
  category_labels_ = cats;
  label_every_ = 1;
  vertical_labels_ = false;
  if (n == 0) return text_h;
  const double slot = plot_w / static_cast<double>(n);
  double widest = 0;
  for (const auto& c : cats) widest = std::max(widest, fig_.text_width(c, kLabelFont));
  if (widest <= slot - 6) return text_h;
  // Vertical, reading upwards and ending at the axis; long names are cut so the plot keeps its height,
  // and when even vertical labels collide only every k-th is shown.
  vertical_labels_ = true;
  const double max_px = std::max(40.0, fig_.height() * 0.3);
  widest = 0;
  for (auto& c : category_labels_) {
    c = fit_text(fig_, c, max_px);
    widest = std::max(widest, fig_.text_width(c, kLabelFont));
  }
  const double need = text_h;
  if (slot < need) label_every_ = static_cast<size_t>(std::ceil(need / slot));
  return widest;
}

}  // namespace avtune::plot
