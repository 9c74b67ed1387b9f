#include "cairo_figure.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>

#include <cmath>
#include <cstdint>
#include <filesystem>

#include "avtune/util/atomic_file.h"
#include "avtune/util/error.h"

namespace avtune::plot {

namespace {

constexpr const char* kComponent = "figure";
constexpr const char* kFontFamily = "DejaVu Sans";

cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
  try {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  } catch (...) {
    return CAIRO_STATUS_WRITE_ERROR;
  }
  return CAIRO_STATUS_SUCCESS;
}

// `s` with every byte that does not start a well-formed UTF-8 sequence replaced by U+FFFD: cairo
// refuses malformed text (and then refuses to draw anything more).
std::string valid_utf8(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = n > 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (ok && n > 1) {  // no overlong forms, surrogates or code points past U+10FFFF
      uint32_t cp = c & (0x7F >> n);
      for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
      const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= min_cp[n] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (ok && c == 0) ok = false;  // would end the C string
    if (ok) {
      out.append(s, i, n);
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

}  // namespace

CairoFigure::CairoFigure(FigureFormat format, int width, int height)
    : format_(format), width_(width), height_(height) {
  switch (format) {
    case FigureFormat::Png:
      surface_ = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
      break;
    case FigureFormat::Svg:
      surface_ = cairo_svg_surface_create_for_stream(append_bytes, &bytes_, width, height);
      if (cairo_surface_status(surface_) == CAIRO_STATUS_SUCCESS)
        cairo_svg_surface_set_document_unit(surface_, CAIRO_SVG_UNIT_PX);
      break;
    case FigureFormat::Pdf:
      surface_ = cairo_pdf_surface_create_for_stream(append_bytes, &bytes_, width, height);
      if (cairo_surface_status(surface_) == CAIRO_STATUS_SUCCESS)
        cairo_pdf_surface_set_metadata(surface_, CAIRO_PDF_METADATA_CREATOR, "avtune");
      break;
  }
  const cairo_status_t st = cairo_surface_status(surface_);
  if (st != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(surface_);
    surface_ = nullptr;
    fail(kComponent, std::string("a cairo ") + extension(format) + " surface of " + std::to_string(width) + "x" +
                         std::to_string(height),
         cairo_status_to_string(st));
  }
  cr_ = cairo_create(surface_);
  cairo_font_options_t* opts = cairo_font_options_create();
  cairo_font_options_set_antialias(opts, CAIRO_ANTIALIAS_GRAY);  // gray, not coloured subpixel fringes
  cairo_font_options_set_hint_metrics(opts, CAIRO_HINT_METRICS_OFF);  // the same layout in every format
  cairo_font_options_set_hint_style(opts, CAIRO_HINT_STYLE_SLIGHT);
  cairo_set_font_options(cr_, opts);
  cairo_font_options_destroy(opts);
  cairo_set_line_join(cr_, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr_, CAIRO_LINE_CAP_BUTT);
  set_color(Color{255, 255, 255});
  cairo_paint(cr_);
  const cairo_status_t painted = cairo_status(cr_);
  if (painted != CAIRO_STATUS_SUCCESS) {  // no destructor runs for a constructor that throws
    cairo_destroy(cr_);
    cr_ = nullptr;
    cairo_surface_destroy(surface_);
    surface_ = nullptr;
    fail(kComponent, "cairo to draw a white background", cairo_status_to_string(painted));
  }
}

CairoFigure::~CairoFigure() {
  if (cr_) cairo_destroy(cr_);
  if (surface_) cairo_surface_destroy(surface_);
}

void CairoFigure::check(const char* what) {
  const cairo_status_t st = cairo_status(cr_);
  if (st != CAIRO_STATUS_SUCCESS) fail(kComponent, std::string("cairo to draw ") + what, cairo_status_to_string(st));
}

void CairoFigure::set_color(Color c, double alpha) {
  cairo_set_source_rgba(cr_, c.r / 255.0, c.g / 255.0, c.b / 255.0, alpha);
}

void CairoFigure::use_font(const Font& f) {
  cairo_select_font_face(cr_, kFontFamily, CAIRO_FONT_SLANT_NORMAL,
                         f.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr_, f.size);
}

double CairoFigure::text_width(const std::string& s, const Font& f) {
  if (s.empty()) return 0;
  use_font(f);
  cairo_text_extents_t e;
  cairo_text_extents(cr_, valid_utf8(s).c_str(), &e);
  return e.x_advance;
}

double CairoFigure::text_height(const Font& f) {
  use_font(f);
  cairo_font_extents_t e;
  cairo_font_extents(cr_, &e);
  return e.ascent + e.descent;
}

double CairoFigure::ascent(const Font& f) {
  use_font(f);
  cairo_font_extents_t e;
  cairo_font_extents(cr_, &e);
  return e.ascent;
}

double CairoFigure::cap_height(const Font& f) {
  use_font(f);
  cairo_text_extents_t e;
  cairo_text_extents(cr_, "H", &e);
  return -e.y_bearing;
}

void CairoFigure::text(double x, double y, const std::string& s, Color c, const Font& f, bool vertical) {
  if (s.empty()) return;
  const double asc = ascent(f);  // also selects the font
  cairo_save(cr_);
  set_color(c);
  if (vertical) {
    cairo_translate(cr_, x + asc, y + text_width(s, f));
    cairo_rotate(cr_, -M_PI / 2);
    cairo_move_to(cr_, 0, 0);
  } else {
    cairo_move_to(cr_, x, y + asc);
  }
  cairo_show_text(cr_, valid_utf8(s).c_str());
  cairo_restore(cr_);
  check("text");
}

void CairoFigure::line(double x0, double y0, double x1, double y1, Color c, double width, double alpha) {
  if (!std::isfinite(x0) || !std::isfinite(y0) || !std::isfinite(x1) || !std::isfinite(y1)) return;
  set_color(c, alpha);
  cairo_set_line_width(cr_, width);
  cairo_move_to(cr_, x0, y0);
  cairo_line_to(cr_, x1, y1);
  cairo_stroke(cr_);
}

void CairoFigure::fill_rect(double x, double y, double w, double h, Color c, double alpha) {
  set_color(c, alpha);
  cairo_rectangle(cr_, x, y, w, h);
  cairo_fill(cr_);
}

void CairoFigure::marker(double cx, double cy, MarkerShape shape, double size, Color c, double alpha) {
  if (!std::isfinite(cx) || !std::isfinite(cy)) return;
  const double r = size / 2;
  switch (shape) {
    case MarkerShape::Circle:
      cairo_new_sub_path(cr_);
      cairo_arc(cr_, cx, cy, r, 0, 2 * M_PI);
      break;
    case MarkerShape::Square: {
      const double h = r * 0.85;  // the same visual weight as the circle
      cairo_rectangle(cr_, cx - h, cy - h, 2 * h, 2 * h);
      break;
    }
    case MarkerShape::Triangle: {
      const double h = r * 1.15;
      cairo_move_to(cr_, cx, cy - h);
      cairo_line_to(cr_, cx + h * 0.866, cy + h * 0.5);
      cairo_line_to(cr_, cx - h * 0.866, cy + h * 0.5);
      cairo_close_path(cr_);
      break;
    }
    case MarkerShape::Diamond: {
      const double h = r * 1.15;
      cairo_move_to(cr_, cx, cy - h);
      cairo_line_to(cr_, cx + h, cy);
      cairo_line_to(cr_, cx, cy + h);
      cairo_line_to(cr_, cx - h, cy);
      cairo_close_path(cr_);
      break;
    }
  }
  set_color(c, alpha);
  cairo_fill(cr_);
}

void CairoFigure::clip(double x, double y, double w, double h) {
  cairo_reset_clip(cr_);
  cairo_rectangle(cr_, x, y, w, h);
  cairo_clip(cr_);
}

void CairoFigure::reset_clip() { cairo_reset_clip(cr_); }

std::string CairoFigure::finish() {
  if (finished_) fail(kComponent, "a figure finished once", "a second finish()");
  finished_ = true;
  check("the figure");
  cairo_destroy(cr_);
  cr_ = nullptr;
  cairo_status_t st;
  if (format_ == FigureFormat::Png) {
    cairo_surface_flush(surface_);
    st = cairo_surface_write_to_png_stream(surface_, append_bytes, &bytes_);
  } else {
    cairo_surface_finish(surface_);  // SVG and PDF stream their bytes out now
    st = cairo_surface_status(surface_);
  }
  if (st != CAIRO_STATUS_SUCCESS)
    fail(kComponent, std::string("a ") + extension(format_) + " encoding", cairo_status_to_string(st));
  return std::move(bytes_);
}

void write_figure_file(const std::string& path, const std::string& bytes) {
  // AtomicFile creates missing folders (std::filesystem errors) and removes its temp file on failure.
  try {
    write_file_atomic(path, bytes);
  } catch (const Error& e) {
    fail(kComponent, "a writable figure path", e.what(), {path});
  } catch (const std::filesystem::filesystem_error& e) {
    fail(kComponent, "a writable figure path", e.what(), {path});
  }
}

}  // namespace avtune::plot
