// Frame choice: T segments, a random frame of each in training, one near the middle in evaluation;
// repeats when a clip has fewer frames than segments. The reference rule (the default) is checked
// against the reference loader's picks in test_frame_sampling_reference.cpp; these tests pin avtune's
// centred variant (the default before issue 16).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "avtune/util/error.h"
#include "avtune/vision/frame_sampling.h"
#include "../test_support.h"

using namespace avtune;

namespace {

using test::error_of;

std::vector<int> eval(int n, int t) {
  return sample_frame_indices(n, t, FrameSamplingMode::Eval, nullptr, "", FrameSamplingRule::Centred);
}

void touch(const std::string& path) { std::ofstream(path) << "x"; }

}  // namespace

TEST(FrameSampling, EvalTakesTheMiddleOfEachSegment) {
  EXPECT_EQ(eval(10, 3), (std::vector<int>{1, 4, 8}));  // segments [0,3) [3,6) [6,10)
  EXPECT_EQ(eval(9, 3), (std::vector<int>{1, 4, 7}));
  EXPECT_EQ(eval(3, 3), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(eval(4, 3), (std::vector<int>{0, 1, 3}));   // [0,1) [1,2) [2,4)
  EXPECT_EQ(eval(1, 1), (std::vector<int>{0}));
  EXPECT_EQ(eval(10, 1), (std::vector<int>{5}));
  EXPECT_EQ(eval(11, 2), (std::vector<int>{2, 8}));    // [0,5) [5,11)
}

TEST(FrameSampling, TrainPicksUniformlyWithinEachSegment) {
  std::mt19937_64 rng(42);
  std::vector<std::map<int, int>> counts(3);
  const int draws = 30000;
  for (int i = 0; i < draws; ++i) {
    const auto picks = sample_frame_indices(10, 3, FrameSamplingMode::Train, &rng, "", FrameSamplingRule::Centred);
    ASSERT_EQ(picks.size(), 3u);
    for (int s = 0; s < 3; ++s) counts[static_cast<size_t>(s)][picks[static_cast<size_t>(s)]]++;
  }
  const std::vector<std::vector<int>> segments = {{0, 1, 2}, {3, 4, 5}, {6, 7, 8, 9}};
  for (size_t s = 0; s < 3; ++s) {
    ASSERT_EQ(counts[s].size(), segments[s].size()) << "segment " << s << " drew outside itself or missed a frame";
    for (int f : segments[s]) {
      const double expected = static_cast<double>(draws) / static_cast<double>(segments[s].size());
      EXPECT_NEAR(counts[s][f], expected, 0.05 * expected) << "segment " << s << " frame " << f;
    }
  }
}

TEST(FrameSampling, TrainIsDeterministicPerSeed) {
  std::mt19937_64 a(5), b(5), c(6);
  bool differs = false;
  for (int i = 0; i < 20; ++i) {
    const auto pa = sample_frame_indices(30, 3, FrameSamplingMode::Train, &a);
    EXPECT_EQ(pa, sample_frame_indices(30, 3, FrameSamplingMode::Train, &b));
    differs |= pa != sample_frame_indices(30, 3, FrameSamplingMode::Train, &c);
  }
  EXPECT_TRUE(differs);
  // mt19937_64's output is fixed by the standard (the 10000th from the default seed is given there),
  // and the bounded draw is ours: this sequence is the same with every standard library.
  std::mt19937_64 standard;
  standard.discard(9999);
  EXPECT_EQ(standard(), 9981545732273789042ull);
  std::mt19937_64 fixed(1);
  EXPECT_EQ(sample_frame_indices(100, 4, FrameSamplingMode::Train, &fixed), (std::vector<int>{3, 37, 55, 96}));
}

TEST(FrameSampling, FewerFramesThanSegmentsRepeatFramesInOrder) {
  std::mt19937_64 rng(0);
  for (auto mode : {FrameSamplingMode::Eval, FrameSamplingMode::Train}) {
    EXPECT_EQ(sample_frame_indices(2, 3, mode, &rng), (std::vector<int>{0, 0, 1}));
    EXPECT_EQ(sample_frame_indices(1, 3, mode, &rng), (std::vector<int>{0, 0, 0}));
    EXPECT_EQ(sample_frame_indices(3, 7, mode, &rng), (std::vector<int>{0, 0, 0, 1, 1, 2, 2}));
  }
}

TEST(FrameSampling, BadCountsAreClearErrors) {
  std::string e = error_of([] { sample_frame_indices(0, 3, FrameSamplingMode::Eval, nullptr, "visual/test/clip_a"); });
  EXPECT_NE(e.find("frame-sampling: expected a clip with at least 1 frame, got 0 frames (visual/test/clip_a)"),
            std::string::npos)
      << e;
  e = error_of([] { sample_frame_indices(5, 0, FrameSamplingMode::Eval); });
  EXPECT_NE(e.find("at least 1 frame to sample"), std::string::npos) << e;
  e = error_of([] { sample_frame_indices(5, 3, FrameSamplingMode::Train, nullptr, "clip_b"); });
  EXPECT_NE(e.find("a random generator"), std::string::npos) << e;
}

TEST(FrameSampling, UniformBelowIsUnbiased) {
  std::mt19937_64 rng(9);
  std::vector<int> counts(3, 0);
  const int n = 60000;
  for (int i = 0; i < n; ++i) counts[uniform_below(rng, 3)]++;
  for (int c : counts) EXPECT_NEAR(c, n / 3, n / 3 * 0.03);
  EXPECT_EQ(uniform_below(rng, 1), 0u);
}

TEST(FrameSampling, ListClipFramesOrdersByNumber) {
  test::TempDir dir;
  // Both padding conventions: "frame_0000" + k and %05d agree below 10 and differ from 10 on.
  for (const char* name : {"frame_00001.jpg", "frame_00002.jpg", "frame_00003.jpg", "frame_00004.jpg",
                           "frame_00005.jpg", "frame_00006.jpg", "frame_00007.jpg", "frame_00008.jpg",
                           "frame_00009.jpg", "frame_000010.jpg", "frame_00011.jpg", "clip.wav", "frame_x.jpg",
                           "frame_00012.png"})
    touch(dir.file(name));
  const auto frames = list_clip_frames(dir.path.string());
  ASSERT_EQ(frames.size(), 11u);
  EXPECT_EQ(std::filesystem::path(frames[0]).filename(), "frame_00001.jpg");
  EXPECT_EQ(std::filesystem::path(frames[9]).filename(), "frame_000010.jpg");
  EXPECT_EQ(std::filesystem::path(frames[10]).filename(), "frame_00011.jpg");
}

TEST(FrameSampling, ListClipFramesRejectsGapsAndMissingDirectories) {
  test::TempDir dir;
  for (const char* name : {"frame_00001.jpg", "frame_00002.jpg", "frame_00004.jpg"}) touch(dir.file(name));
  std::string e = error_of([&] { list_clip_frames(dir.path.string()); });
  EXPECT_NE(e.find("frame 3 missing"), std::string::npos) << e;
  EXPECT_NE(e.find(dir.path.string()), std::string::npos) << e;
  touch(dir.file("frame_3.jpg"));
  touch(dir.file("frame_03.jpg"));
  e = error_of([&] { list_clip_frames(dir.path.string()); });
  EXPECT_NE(e.find("twice"), std::string::npos) << e;
  e = error_of([] { list_clip_frames("/nonexistent/clip"); });
  EXPECT_NE(e.find("expected a directory of frame_<k>.jpg files"), std::string::npos) << e;
  EXPECT_NE(e.find("/nonexistent/clip"), std::string::npos) << e;
  test::TempDir empty;
  EXPECT_TRUE(list_clip_frames(empty.path.string()).empty());
}
