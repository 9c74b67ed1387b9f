// FigureFormat: the names --figure-format accepts and the extensions that pick a format.
#include <algorithm>
#include <cctype>
#include <filesystem>

#include "avtune/plot/chart.h"
#include "avtune/util/error.h"

namespace avtune {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::optional<FigureFormat> format_named(const std::string& name) {
  if (name == "png") return FigureFormat::Png;
  if (name == "svg") return FigureFormat::Svg;
  if (name == "pdf") return FigureFormat::Pdf;
  return std::nullopt;
}

}  // namespace

FigureFormat parse_figure_format(const std::string& name) {
  if (auto f = format_named(name)) return *f;
  fail("--figure-format", "png|svg|pdf", "'" + name + "'");
}

const char* extension(FigureFormat format) {
  switch (format) {
    case FigureFormat::Png: return "png";
    case FigureFormat::Svg: return "svg";
    case FigureFormat::Pdf: return "pdf";
  }
  return "png";
}

FigureFormat figure_format_for_path(const std::string& path) {
  const std::string ext = lower(std::filesystem::path(path).extension().string());
  if (ext.size() > 1)
    if (auto f = format_named(ext.substr(1))) return *f;
  fail("figure", "a path ending in .png, .svg or .pdf",
       ext.empty() ? std::string("no extension") : "'" + ext + "'", {path});
}

}  // namespace avtune
