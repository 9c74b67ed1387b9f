#include "avtune/util/error.h"

namespace avtune {

void fail(const std::string& component, const std::string& expected, const std::string& got) {
  throw Error(component + ": expected " + expected + ", got " + got);
}

void fail(const std::string& component, const std::string& expected, const std::string& got,
          const FileLocation& where) {
  std::string loc = where.path;
  if (where.line > 0) loc += ":" + std::to_string(where.line);
  throw Error(component + ": expected " + expected + ", got " + got + " (" + loc + ")");
}

void fail_msg(const std::string& component, const std::string& message) {
  throw Error(component + ": " + message);
}

}  // namespace avtune
