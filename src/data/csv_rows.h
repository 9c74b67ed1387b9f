#pragma once
// The row reader the data sets' CSV lists share (data/clip_list.h's read_label_csv and read_esc50,
// data/shipped_lists.h's read_vggsound_csv). Private to src/data.
#include <string>
#include <vector>

namespace avtune {

struct CsvRow {
  std::vector<std::string> fields;  // trimmed; RFC 4180 quoting ("a, b" is one field, "" a quote)
  std::string text;                 // the line as read, trimmed, for error messages
  long line = 0;                    // 1-based
};

// The non-empty lines of the CSV file `path` as rows. A UTF-8 byte-order mark (spreadsheet exports;
// Python reads them as utf-8-sig) and CRLF line ends are ignored. A file that cannot be opened throws
// avtune::Error from `component` naming it.
std::vector<CsvRow> read_csv_rows(const std::string& path, const std::string& component);

// `s` without leading spaces/tabs and trailing spaces, tabs, CR and LF (list lines as editors leave them).
std::string trim_line(std::string s);

// Every line of the list file `path`, trimmed (trim_line), empty ones kept so that index + 1 is the
// line number; a UTF-8 byte-order mark (spreadsheet exports; Python reads them as utf-8-sig) and CRLF
// line ends are ignored. A file that cannot be opened throws avtune::Error from `component` naming it.
std::vector<std::string> read_list_lines(const std::string& path, const std::string& component);

// One CSV record split into trimmed fields (as read_csv_rows does).
std::vector<std::string> csv_fields(const std::string& line);

}  // namespace avtune
