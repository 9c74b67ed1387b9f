#include "avtune/data/shipped_lists.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "avtune/util/error.h"
#include "csv_rows.h"

namespace avtune {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_on(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream is(s);
  while (std::getline(is, cur, sep)) out.push_back(trim_line(cur));
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

int64_t index_in(std::vector<std::string>& classes, std::map<std::string, int64_t>& index, const std::string& name) {
  auto [it, added] = index.emplace(name, static_cast<int64_t>(classes.size()));
  if (added) classes.push_back(name);
  return it->second;
}

bool is_int(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }) && s.size() < 10;
}

}  // namespace

ClipList read_ave_list(const std::string& split_file, const std::vector<std::string>& class_order_files) {
  ClipList list;
  list.source = split_file;
  std::map<std::string, int64_t> index;
  auto records = [](const std::string& path, const auto& each) {
    const auto lines = read_list_lines(path, "ave");
    for (size_t k = 0; k < lines.size(); ++k) {
      if (lines[k].empty()) continue;
      const auto f = split_on(lines[k], '&');
      if (f.size() >= 2 && f[0] == "Category" && f[1] == "VideoID") continue;  // Annotations.txt's header
      if (f.size() < 5 || f[0].empty() || f[1].empty())
        fail("ave", "'Category&VideoID&Quality&StartTime&EndTime'", "'" + lines[k] + "'", {path, static_cast<long>(k + 1)});
      each(f, static_cast<long>(k + 1));
    }
  };
  for (const auto& f : class_order_files)
    if (!f.empty() && fs::exists(f)) records(f, [&](const std::vector<std::string>& r, long) { index_in(list.classes, index, r[0]); });
  records(split_file, [&](const std::vector<std::string>& r, long line) {
    list.entries.push_back({r[1], index_in(list.classes, index, r[0]), line});
  });
  if (list.entries.empty()) fail("ave", "at least one clip", "an empty list", {split_file});
  return list;
}

ClipList read_vggsound_csv(const std::string& csv, const std::string& split) {
  ClipList list;
  list.source = csv;
  std::set<std::string> labels, splits;
  struct Row {
    std::string name, label;
    long line;
  };
  std::vector<Row> rows;
  bool first = true;
  for (const CsvRow& r : read_csv_rows(csv, "vggsound")) {
    const auto& f = r.fields;
    const FileLocation at{csv, r.line};
    const bool header = first;
    first = false;
    if (f.size() != 4 || f[0].empty() || f[2].empty())
      fail("vggsound", "'youtube_id,start_seconds,label,split' (4 fields)", "'" + r.text + "'", at);
    if (!is_int(f[1])) {
      if (header) continue;  // a header row added by hand
      fail("vggsound", "whole start seconds", "'" + f[1] + "'", at);
    }
    char start[16];
    std::snprintf(start, sizeof start, "%06d", std::stoi(f[1]));
    labels.insert(f[2]);
    splits.insert(f[3]);
    if (f[3] == split) rows.push_back({f[0] + "_" + start, f[2], r.line});
  }
  if (rows.empty()) {
    std::string have;
    for (const auto& s : splits) have += (have.empty() ? "" : ", ") + s;
    fail("vggsound", "rows of split '" + split + "'", have.empty() ? "no rows" : "only splits " + have, {csv});
  }
  list.classes.assign(labels.begin(), labels.end());
  for (const auto& r : rows)
    list.entries.push_back({r.name, std::lower_bound(list.classes.begin(), list.classes.end(), r.label) - list.classes.begin(), r.line});
  return list;
}

ClipList read_ucf101_list(const std::string& list_file, const std::string& class_ind) {
  ClipList list;
  list.source = list_file;
  std::map<std::string, int64_t> index;
  const auto ind = read_list_lines(class_ind, "ucf101");
  for (size_t k = 0; k < ind.size(); ++k) {
    if (ind[k].empty()) continue;
    std::istringstream is(ind[k]);
    std::string num, name;
    is >> num >> name;
    const FileLocation at{class_ind, static_cast<long>(k + 1)};
    if (!is_int(num) || name.empty() || std::stol(num) != static_cast<long>(list.classes.size()) + 1)
      fail("ucf101", "'<index> <ClassName>' lines numbered 1, 2, ... in order", "'" + ind[k] + "'", at);
    index[name] = static_cast<int64_t>(list.classes.size());
    list.classes.push_back(name);
  }
  if (list.classes.empty()) fail("ucf101", "class names", "an empty file", {class_ind});
  const auto lines = read_list_lines(list_file, "ucf101");
  for (size_t k = 0; k < lines.size(); ++k) {
    if (lines[k].empty()) continue;
    std::istringstream is(lines[k]);
    std::string path, num;
    is >> path >> num;
    const FileLocation at{list_file, static_cast<long>(k + 1)};
    const fs::path p(path);
    auto it = index.find(p.parent_path().filename().string());
    if (it == index.end())
      fail("ucf101", "'<ClassName>/<video>.avi [index]' with a class of " + class_ind, "'" + lines[k] + "'", at);
    if (!num.empty() && (!is_int(num) || std::stol(num) != it->second + 1))
      fail("ucf101", "the index of class " + it->first + " (" + std::to_string(it->second + 1) + ")", "'" + num + "'", at);
    list.entries.push_back({p.stem().string(), it->second, static_cast<long>(k + 1)});
  }
  if (list.entries.empty()) fail("ucf101", "at least one clip", "an empty list", {list_file});
  return list;
}

const std::vector<std::string>& cremad_classes() {
  static const std::vector<std::string> c = {"NEU", "HAP", "SAD", "FEA", "DIS", "ANG"};
  return c;
}

std::string cremad_emotion(const std::string& name) {
  // ActorID_Sentence_Emotion_Level: 1001_DFA_ANG_XX
  const auto f = split_on(name, '_');
  if (f.size() != 4) return "";
  const auto& c = cremad_classes();
  return std::find(c.begin(), c.end(), f[2]) != c.end() ? f[2] : "";
}

ClipList cremad_list_from_names(const std::string& dir, bool folders) {
  ClipList list;
  list.source = dir;
  list.classes = cremad_classes();
  if (!fs::is_directory(dir)) fail("cremad", "a folder of clips (or ROOT/<split>.csv)", "'" + dir + "' is not a directory");
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n.empty() || n[0] == '.' || (n.size() > 8 && n.compare(n.size() - 8, 8, ".partial") == 0)) continue;
    if (folders ? e.is_directory() : (e.is_regular_file() && e.path().extension() == ".wav"))
      names.push_back(folders ? n : e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  for (size_t k = 0; k < names.size(); ++k) {
    const std::string emo = cremad_emotion(names[k]);
    if (emo.empty())
      fail("cremad", "clip names ActorID_Sentence_EMOTION_Level (EMOTION one of NEU HAP SAD FEA DIS ANG)",
           "'" + names[k] + "'", {dir});
    const auto& c = cremad_classes();
    list.entries.push_back({names[k], std::find(c.begin(), c.end(), emo) - c.begin(), static_cast<long>(k + 1)});
  }
  if (list.entries.empty()) fail("cremad", "at least one clip", "none", {dir});
  return list;
}

}  // namespace avtune
