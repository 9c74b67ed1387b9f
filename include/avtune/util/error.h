#pragma once
// Errors carry "component: expected X, got Y (file:line)" so the CLI can print one clear line.
#include <stdexcept>
#include <string>

namespace avtune {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Where an error points into a file; line 0 means "the file as a whole".
struct FileLocation {
  std::string path;
  long line = 0;
};

[[noreturn]] void fail(const std::string& component, const std::string& expected, const std::string& got);
[[noreturn]] void fail(const std::string& component, const std::string& expected, const std::string& got,
                       const FileLocation& where);
// Free-form message when expected/got does not fit.
[[noreturn]] void fail_msg(const std::string& component, const std::string& message);

}  // namespace avtune
