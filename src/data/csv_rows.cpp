#include "csv_rows.h"

#include <fstream>

#include "avtune/util/error.h"

namespace avtune {

std::string trim_line(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t b = 0;
  while (b < s.size() && (s[b] == ' ' || s[b] == '\t')) ++b;
  return s.substr(b);
}

std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') cur += '"', ++i;
      else if (c == '"') quoted = false;
      else cur += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(trim_line(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(trim_line(cur));
  return out;
}

std::vector<std::string> read_list_lines(const std::string& path, const std::string& component) {
  std::ifstream in(path);
  if (!in) fail(component, "a readable list file", "cannot open it", {path});
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(trim_line(l));
  if (!lines.empty() && lines[0].rfind("\xEF\xBB\xBF", 0) == 0) lines[0] = trim_line(lines[0].substr(3));
  return lines;
}

std::vector<CsvRow> read_csv_rows(const std::string& path, const std::string& component) {
  std::vector<CsvRow> rows;
  long n = 0;
  for (std::string& text : read_list_lines(path, component)) {
    ++n;
    if (text.empty()) continue;
    CsvRow r;
    r.fields = csv_fields(text);
    r.text = std::move(text);
    r.line = n;
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace avtune
