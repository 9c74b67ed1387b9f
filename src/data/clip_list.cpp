#include "avtune/data/clip_list.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "avtune/util/atomic_file.h"
#include "avtune/util/error.h"
#include "csv_rows.h"

namespace avtune {

namespace fs = std::filesystem;

namespace {
bool parse_int(const std::string& s, int64_t* v) {
  if (s.empty()) return false;
  size_t used = 0;
  try {
    *v = std::stoll(s, &used);
  } catch (...) {
    return false;
  }
  return used == s.size();
}

std::string stem_of(const std::string& path_token) {
  std::string base = fs::path(path_token).filename().string();
  if (base.empty()) base = fs::path(path_token).parent_path().filename().string();  // trailing slash
  for (const char* ext : {".wav", ".mp4", ".mkv", ".webm", ".avi", ".flac", ".ogg"})
    if (base.size() > std::strlen(ext) && base.compare(base.size() - std::strlen(ext), std::strlen(ext), ext) == 0)
      return base.substr(0, base.size() - std::strlen(ext));
  return base;
}

}  // namespace

namespace {
constexpr int64_t kMaxListLabel = 100000;  // ImageNet-21k has 21,841 classes
}  // namespace

ClipList read_ks_list(const std::string& path, const std::string& classes_file) {
  ClipList list;
  list.source = path;
  auto lines = read_list_lines(path, "clip-list");
  int64_t max_label = -1;
  for (size_t k = 0; k < lines.size(); ++k) {
    const auto& line = lines[k];
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> tok;
    std::istringstream is(line);
    for (std::string t; is >> t;) tok.push_back(t);
    const FileLocation at{path, static_cast<long>(k + 1)};
    if (tok.size() < 2) fail("ks-list", "'<path> ... <label>' (at least 2 tokens)", "'" + line + "'", at);
    int64_t label;
    if (!parse_int(tok.back(), &label) || label < 0)
      fail("ks-list", "a non-negative integer label as the last token", "'" + tok.back() + "'", at);
    // Without a classes file a class name is made per label value: a label of 10^9 would make 10^9.
    if (label >= kMaxListLabel)
      fail("ks-list", "a label below " + std::to_string(kMaxListLabel) + " (the classes a head can have)", "'" + tok.back() + "'", at);
    list.entries.push_back({stem_of(tok.front()), label, static_cast<long>(k + 1)});
    max_label = std::max(max_label, label);
  }
  if (list.entries.empty()) fail("ks-list", "at least one clip", "an empty list", {path});
  std::string cf = classes_file;
  if (cf.empty() && fs::exists(fs::path(path).parent_path() / "classes.txt"))
    cf = (fs::path(path).parent_path() / "classes.txt").string();
  if (!cf.empty()) {
    list.classes = read_class_names(cf);
    if (static_cast<int64_t>(list.classes.size()) <= max_label)
      fail("ks-list", "a class name for every label up to " + std::to_string(max_label),
           std::to_string(list.classes.size()) + " names", {cf});
  } else {
    for (int64_t c = 0; c <= max_label; ++c) list.classes.push_back(std::to_string(c));
  }
  return list;
}

ClipList read_label_csv(const std::string& path, std::vector<std::string> classes) {
  ClipList list;
  list.source = path;
  struct Row {
    std::string name, label;
    long line;
  };
  std::vector<Row> rows;
  for (const CsvRow& r : read_csv_rows(path, "clip-list")) {
    const auto& cols = r.fields;
    if (cols.size() < 2 || cols[0].empty() || cols[1].empty())
      fail("csv-list", "'name,LABEL'", "'" + r.text + "'", {path, r.line});
    rows.push_back({stem_of(cols[0]), cols[1], r.line});
  }
  if (!rows.empty()) {  // header?
    std::string l = rows.front().label;
    std::transform(l.begin(), l.end(), l.begin(), ::tolower);
    const bool known = std::find(classes.begin(), classes.end(), rows.front().label) != classes.end();
    if (l == "label" || l == "class" || l == "category" || (!classes.empty() && !known && rows.size() > 1 &&
                                                            std::find(classes.begin(), classes.end(), rows[1].label) != classes.end()))
      rows.erase(rows.begin());
  }
  if (rows.empty()) fail("csv-list", "at least one clip", "an empty list", {path});
  if (classes.empty()) {
    std::set<std::string> names;
    for (auto& r : rows) names.insert(r.label);
    classes.assign(names.begin(), names.end());
  }
  std::map<std::string, int64_t> index;
  for (size_t c = 0; c < classes.size(); ++c) index[classes[c]] = static_cast<int64_t>(c);
  for (auto& r : rows) {
    auto it = index.find(r.label);
    if (it == index.end()) fail("csv-list", "a label among the " + std::to_string(classes.size()) + " classes", "'" + r.label + "'", {path, r.line});
    list.entries.push_back({r.name, it->second, r.line});
  }
  list.classes = std::move(classes);
  return list;
}

ClipList read_esc50(const std::string& meta_csv, const std::set<int>& folds) {
  ClipList list;
  list.source = meta_csv;
  const auto rows = read_csv_rows(meta_csv, "clip-list");
  if (rows.empty()) fail("esc50", "a header line 'filename,fold,target,category,...'", "an empty file", {meta_csv});
  const auto& header = rows[0].fields;
  auto col = [&](const std::string& name) {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) fail("esc50", "a '" + name + "' column", "header '" + rows[0].text + "'", {meta_csv, rows[0].line});
    return static_cast<size_t>(it - header.begin());
  };
  const size_t c_file = col("filename"), c_fold = col("fold"), c_target = col("target"), c_cat = col("category");
  std::map<int64_t, std::string> names;
  for (size_t k = 1; k < rows.size(); ++k) {
    const auto& cols = rows[k].fields;
    const FileLocation at{meta_csv, rows[k].line};
    if (cols.size() < header.size()) fail("esc50", std::to_string(header.size()) + " columns", std::to_string(cols.size()), at);
    int64_t fold, target;
    if (!parse_int(cols[c_fold], &fold)) fail("esc50", "an integer fold", "'" + cols[c_fold] + "'", at);
    if (!parse_int(cols[c_target], &target) || target < 0) fail("esc50", "a non-negative integer target", "'" + cols[c_target] + "'", at);
    names[target] = cols[c_cat];
    if (!folds.empty() && !folds.count(static_cast<int>(fold))) continue;
    list.entries.push_back({stem_of(cols[c_file]), target, rows[k].line});
  }
  if (names.empty()) fail("esc50", "at least one clip", "none", {meta_csv});
  // The targets the file has, in target order: ESC-50 keeps its 50 indices; a subset such as ESC-10
  // (10 of the 50 targets) gets a 10-way head, its labels renumbered 0..9 in target order.
  std::map<int64_t, int64_t> index;
  for (auto& [t, n] : names) {
    index[t] = static_cast<int64_t>(list.classes.size());
    list.classes.push_back(n);
  }
  for (auto& e : list.entries) e.label = index.at(e.label);
  return list;
}

std::vector<std::string> read_class_names(const std::string& path) {
  std::vector<std::string> names;
  for (auto& l : read_list_lines(path, "clip-list"))
    if (!l.empty()) names.push_back(l);
  std::set<std::string> seen;
  for (const auto& n : names)
    if (!seen.insert(n).second) fail("classes", "each class name once", "'" + n + "' twice", {path});
  return names;
}

std::vector<std::string> merge_class_names(const std::vector<std::string>& existing, const std::vector<std::string>& incoming) {
  std::vector<std::string> out = existing;
  std::set<std::string> have(existing.begin(), existing.end());
  for (const auto& n : incoming)
    if (have.insert(n).second) out.push_back(n);
  return out;
}

void write_ks_list(const std::string& path, const ClipList& list, const std::string& path_prefix) {
  std::string text;
  for (const auto& e : list.entries) text += path_prefix + "/" + e.name + " " + std::to_string(e.label) + "\n";
  write_file_atomic(path, text);
  std::string classes;
  for (const auto& c : list.classes) classes += c + "\n";
  write_file_atomic((fs::path(path).parent_path() / "classes.txt").string(), classes);
}

}  // namespace avtune
