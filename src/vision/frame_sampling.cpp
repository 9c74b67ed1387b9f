#include "avtune/vision/frame_sampling.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "avtune/util/error.h"

namespace avtune {

namespace {
constexpr const char* kComponent = "frame-sampling";

// The number in "frame_<digits>.jpg", or -1 for any other name.
long frame_number(const std::string& name) {
  const std::string prefix = "frame_", suffix = ".jpg";
  if (name.size() <= prefix.size() + suffix.size() || name.compare(0, prefix.size(), prefix) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return -1;
  const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (digits.size() > 9 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return -1;
  return std::stol(digits);
}
}  // namespace

uint64_t uniform_below(std::mt19937_64& rng, uint64_t n) {
  if (n == 0) fail(kComponent, "a non-empty range to draw from", "0 values");
  // Accept only draws below the largest multiple of n (2^64 - (2^64 mod n)), so every residue is
  // equally likely.
  const uint64_t reject_below = (uint64_t{0} - n) % n;  // 2^64 mod n
  for (;;) {
    const uint64_t r = rng();
    if (r >= reject_below) return r % n;
  }
}

FrameSamplingRule parse_frame_sampling_rule(const std::string& s) {
  if (s == "reference") return FrameSamplingRule::Reference;
  if (s == "centred") return FrameSamplingRule::Centred;
  fail(kComponent, "a frame sampling rule reference|centred", "'" + s + "'");
}

std::string to_string(FrameSamplingRule r) { return r == FrameSamplingRule::Reference ? "reference" : "centred"; }

std::vector<int> sample_frame_indices(int num_frames, int num_segments, FrameSamplingMode mode,
                                      std::mt19937_64* rng, const std::string& clip, FrameSamplingRule rule) {
  const FileLocation where{clip.empty() ? "<clip>" : clip};
  if (num_frames < 1) fail(kComponent, "a clip with at least 1 frame", std::to_string(num_frames) + " frames", where);
  if (num_segments < 1) fail(kComponent, "at least 1 frame to sample", std::to_string(num_segments), where);
  if (mode == FrameSamplingMode::Train && rng == nullptr)
    fail(kComponent, "a random generator for training-mode sampling", "none", where);
  const int64_t n = num_frames, t = num_segments;
  std::vector<int> picks;
  picks.reserve(static_cast<size_t>(num_segments));
  const int64_t ref_len = n / t;
  for (int64_t s = 0; s < t; ++s) {
    if (n < t) {  // a segment shorter than a frame: the single frame it starts in
      if (mode == FrameSamplingMode::Train) (void)uniform_below(*rng, 1);  // one draw per segment, as for n >= t
      picks.push_back(static_cast<int>(s * n / t));
      continue;
    }
    const bool ref = rule == FrameSamplingRule::Reference;
    const int64_t start = ref ? s * ref_len : s * n / t;
    const int64_t len = ref ? ref_len : (s + 1) * n / t - start;
    int64_t pick;
    if (mode == FrameSamplingMode::Train) pick = start + static_cast<int64_t>(uniform_below(*rng, static_cast<uint64_t>(len)));
    // The reference's 1-based s*L + L/2; for L = 1 that is the previous segment's frame, and for the
    // first segment a frame 0 that does not exist, where we take the first frame.
    else if (ref) pick = std::max<int64_t>(0, start + len / 2 - 1);
    else pick = start + len / 2;
    picks.push_back(static_cast<int>(pick));
  }
  return picks;
}

std::vector<std::string> list_clip_frames(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    fail(kComponent, "a directory of frame_<k>.jpg files", ec ? ec.message() : "no such directory", {dir});
  std::vector<std::pair<long, std::string>> frames;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const long k = frame_number(entry.path().filename().string());
    if (k >= 0) frames.emplace_back(k, entry.path().string());
  }
  if (ec) fail(kComponent, "a readable frame directory", ec.message(), {dir});
  std::sort(frames.begin(), frames.end());
  std::vector<std::string> paths;
  paths.reserve(frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    const long want = static_cast<long>(i) + 1;
    if (frames[i].first != want)
      fail(kComponent, "frames numbered 1.." + std::to_string(frames.size()) + " without gaps or duplicates",
           frames[i].first > want ? "frame " + std::to_string(want) + " missing"
           : frames[i].first == 0 ? "a frame numbered 0 (" + frames[i].second + ")"
                                  : "frame " + std::to_string(frames[i].first) + " twice (" + frames[i].second + ")",
           {dir});
    paths.push_back(frames[i].second);
  }
  return paths;
}

}  // namespace avtune
