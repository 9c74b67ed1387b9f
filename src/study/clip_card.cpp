#include "avtune/study/clip_card.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "avtune/util/error.h"

namespace avtune {

namespace {
std::vector<std::string> split_csv(const std::string& line) {  // clips.csv has no quoted fields
  std::vector<std::string> f;
  size_t p = 0, q;
  while ((q = line.find(',', p)) != std::string::npos) {
    f.push_back(line.substr(p, q - p));
    p = q + 1;
  }
  f.push_back(line.substr(p));
  return f;
}
}  // namespace

const std::vector<std::string>& clip_group_names() {
  static const std::vector<std::string> names = {"both modalities informative", "audio is noise only", "frames are blank"};
  return names;
}

std::map<std::string, int> read_clip_groups(const std::string& clips_csv) {
  std::map<std::string, int> groups;
  std::ifstream in(clips_csv);
  if (!in) return groups;
  std::string line;
  if (!std::getline(in, line)) return groups;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const auto header = split_csv(line);
  auto column = [&](const std::string& name) {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    fail("clips.csv", "a column \"" + name + "\" in the header", line, {clips_csv, 1});
  };
  const size_t name = column("name"), audio = column("audio_informative"), visual = column("visual_informative");
  const size_t need = std::max({name, audio, visual}) + 1;
  long n = 1;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto f = split_csv(line);
    if (f.size() < need) fail("clips.csv", fmt::format("at least {} fields", need), std::to_string(f.size()), {clips_csv, n});
    groups[f[name]] = f[audio] == "0" ? kAudioNoiseOnly : f[visual] == "0" ? kFramesBlank : kBothInformative;
  }
  return groups;
}

}  // namespace avtune
