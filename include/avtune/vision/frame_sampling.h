#pragma once
// Which of a clip's 1-fps frames the reference feeds the visual encoder: the N frames are split into T
// equal segments; training takes a random frame of each segment, evaluation the middle one.
// Pure C++ (no LibTorch), so data loaders and tools can use it cheaply.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace avtune {

enum class FrameSamplingMode { Train, Eval };

// Where the segments lie and which frame eval takes (docs/vision.md, "Frame sampling").
enum class FrameSamplingRule {
  // The reference loader's, which the paper's numbers used: segments of L = floor(N/T) frames starting
  // at s*L (the last N mod T frames are never picked); eval takes s*L + L/2 - 1 (0-based), the frame
  // before the centre (N = 10, T = 3 -> 0, 3, 6; for L = 1 the previous segment's frame, as the
  // reference). Where the reference would read a frame 0 that does not exist (L = 1, first segment),
  // the first frame.
  Reference,
  // avtune's: T segments [floor(s*N/T), floor((s+1)*N/T)) covering every frame; eval takes start +
  // len/2, the frame whose second contains the segment's centre (N = 10, T = 3 -> 1, 4, 8).
  Centred,
};
FrameSamplingRule parse_frame_sampling_rule(const std::string& s);  // reference|centred
std::string to_string(FrameSamplingRule r);

// 0-based frame indices (frame k on disk is index k - 1), one per segment, in time order. Train takes
// a uniform random frame of the segment from `rng`; eval the frame the rule names.
// N < T (the reference fails there): a segment is shorter than a frame; segment s gets frame
// floor(s*N/T) in both modes and rules, so every frame is used, in order, repeated ceil(T/N) or
// floor(T/N) times (e.g. N=2, T=3 -> 0, 0, 1).
// N = 0 or T < 1 throws avtune::Error naming `clip` (e.g. the frame directory).
//
// `rng` (only read in Train mode, required there): std::mt19937_64, whose output is fixed by the C++
// standard; the bounded draw is our own rejection sampling, not std::uniform_int_distribution (which
// differs between standard libraries), so a seed gives the same frames on every platform.
std::vector<int> sample_frame_indices(int num_frames, int num_segments, FrameSamplingMode mode,
                                      std::mt19937_64* rng = nullptr, const std::string& clip = "",
                                      FrameSamplingRule rule = FrameSamplingRule::Reference);

// A uniform integer in [0, n) from `rng`, unbiased (rejection sampling). n >= 1.
uint64_t uniform_below(std::mt19937_64& rng, uint64_t n);

// The frames of a clip directory: files named frame_<digits>.jpg, ordered by their number (not by
// name, so frame_000010.jpg comes after frame_00009.jpg whatever the zero padding). The numbers must
// be exactly 1..N; a gap or duplicate throws naming the directory and the first missing number,
// because a missing frame would silently shift every segment. Other files are ignored.
std::vector<std::string> list_clip_frames(const std::string& dir);

}  // namespace avtune
