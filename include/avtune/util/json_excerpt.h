#pragma once
// A short, bounded rendering of a JSON value for error messages. nlohmann's dump() recurses once per
// nesting level and prints everything: a hostile file of 100k nested arrays overflows the stack in the
// error path, and a 1 MB value makes a 1 MB message.
#include <nlohmann/json.hpp>

#include <string>

namespace avtune {

namespace detail {
inline void json_excerpt_into(const nlohmann::json& j, std::string& out, size_t max_chars, int depth) {
  if (out.size() > max_chars) return;
  if (j.is_array() || j.is_object()) {
    const bool arr = j.is_array();
    if (depth >= 3 && !j.empty()) {
      out += arr ? "[...]" : "{...}";
      return;
    }
    out += arr ? '[' : '{';
    bool first = true;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (out.size() > max_chars) break;
      if (!first) out += ',';
      first = false;
      if (!arr) out += nlohmann::json(it.key()).dump() + ':';
      json_excerpt_into(*it, out, max_chars, depth + 1);
    }
    out += arr ? ']' : '}';
  } else {
    out += j.dump();  // a scalar: a string at worst, cut below
  }
}
}  // namespace detail

inline std::string json_excerpt(const nlohmann::json& j, size_t max_chars = 80) {
  std::string out;
  detail::json_excerpt_into(j, out, max_chars, 0);
  if (out.size() > max_chars) out = out.substr(0, max_chars) + "...";
  return out;
}

}  // namespace avtune
