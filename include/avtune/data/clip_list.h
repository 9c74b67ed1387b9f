#pragma once
// Lists of labelled clips as the data sets ship them: Kinetics-Sounds list files, CSV lists
// (CREMA-D style `name,LABEL`) and ESC-50's meta/esc50.csv. Class names come from the data.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace avtune {

struct ClipEntry {
  std::string name;   // clip name: file stem / frame directory name
  int64_t label = -1;
  long line = 0;      // where it came from, for error messages
};

struct ClipList {
  std::string source;                 // the list file
  std::vector<ClipEntry> entries;
  std::vector<std::string> classes;   // index -> name
};

// Kinetics-Sounds layout: one clip per line, space-separated, first token a path whose basename is
// the clip name, last token the integer label. Class names from `classes_file` (one per line, in
// label order) when given or when `classes.txt` sits beside the list; else "0".."K-1".
ClipList read_ks_list(const std::string& path, const std::string& classes_file = "");

// CSV with a clip name and a label per line (`name,LABEL`); an optional header line is detected
// (a first row whose label column is not a known class when `classes` is given, or equals "label").
// Labels are names: with `classes` empty, the sorted set of names in the file defines the classes.
ClipList read_label_csv(const std::string& path, std::vector<std::string> classes = {});

// ESC-50: meta/esc50.csv (filename,fold,target,category,...); keeps rows whose fold is in `folds`
// (all when empty); the clip name is the filename without ".wav"; classes are the targets present in
// the whole file, in target order (all 50 for ESC-50: label = target; 10 for an ESC-10 file).
ClipList read_esc50(const std::string& meta_csv, const std::set<int>& folds = {});

// Class names, one a line, in label order (a UTF-8 byte-order mark and blank lines ignored); a name
// given twice is an error naming the file.
std::vector<std::string> read_class_names(const std::string& path);

// A data set's class set grown by `incoming`: existing names keep their index, new ones are appended
// in `incoming` order. Preprocessing one split never renumbers another split's labels.
std::vector<std::string> merge_class_names(const std::vector<std::string>& existing, const std::vector<std::string>& incoming);

// Writes a Kinetics-Sounds list file ("<prefix>/<name> <label>" lines) and classes.txt beside it, atomically.
void write_ks_list(const std::string& path, const ClipList& list, const std::string& path_prefix);

}  // namespace avtune
