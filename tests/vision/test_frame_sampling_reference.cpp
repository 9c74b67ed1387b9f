// The default frame choice against the reference loader's picks (tests/reference/make_fidelity_fixtures.py):
// eval frames equal, training draws exactly the reference's range, for every clip length 1..40 and
// T = 1..5. Where the reference fails (frame 0, or fewer frames than segments) avtune's rule is pinned.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "avtune/vision/frame_sampling.h"
#include "../test_support.h"

using namespace avtune;

TEST(FrameSamplingReference, MatchesTheReferenceLoader) {
  std::ifstream in(test::fixture("fidelity/frames.json"));
  ASSERT_TRUE(in);
  const auto cases = nlohmann::json::parse(in);
  ASSERT_EQ(cases.size(), 200u);
  std::mt19937_64 rng(3);
  int checked_eval = 0, checked_train = 0;
  for (const auto& c : cases) {
    const int n = c["frames"], t = c["segments"];
    const auto eval = sample_frame_indices(n, t, FrameSamplingMode::Eval);
    ASSERT_EQ(eval.size(), static_cast<size_t>(t));
    std::vector<std::set<int>> drawn(static_cast<size_t>(t));
    for (int i = 0; i < 400; ++i) {
      const auto p = sample_frame_indices(n, t, FrameSamplingMode::Train, &rng);
      for (int s = 0; s < t; ++s) drawn[static_cast<size_t>(s)].insert(p[static_cast<size_t>(s)]);
    }
    for (int s = 0; s < t; ++s) {
      const auto& e = c["eval"][static_cast<size_t>(s)];
      const auto& r = c["train_ranges"][static_cast<size_t>(s)];
      const auto& d = drawn[static_cast<size_t>(s)];
      if (!e.is_null()) {
        EXPECT_EQ(eval[static_cast<size_t>(s)], e.get<int>()) << "N=" << n << " T=" << t << " segment " << s;
        ++checked_eval;
      } else if (n >= t) {
        // The reference reads a frame_00000.jpg that does not exist: avtune takes the first frame.
        EXPECT_EQ(s, 0);
        EXPECT_EQ(eval[static_cast<size_t>(s)], 0) << "N=" << n << " T=" << t;
      } else {
        EXPECT_EQ(eval[static_cast<size_t>(s)], s * n / t) << "N=" << n << " T=" << t;
      }
      if (!r.is_null()) {
        // Every frame of the reference's range drawn, nothing outside it.
        EXPECT_EQ(*d.begin(), r[0].get<int>()) << "N=" << n << " T=" << t << " segment " << s;
        EXPECT_EQ(*d.rbegin(), r[1].get<int>()) << "N=" << n << " T=" << t << " segment " << s;
        EXPECT_EQ(static_cast<int>(d.size()), r[1].get<int>() - r[0].get<int>() + 1) << "N=" << n << " T=" << t;
        ++checked_train;
      } else {
        EXPECT_EQ(d, std::set<int>{s * n / t}) << "N=" << n << " T=" << t;
      }
    }
  }
  EXPECT_GT(checked_eval, 500);
  EXPECT_GT(checked_train, 550);
}

TEST(FrameSamplingReference, TheIssuesExamples) {
  // 10 frames: the reference evaluates on frames 1, 4, 7 (0-based 0, 3, 6) and never trains on frame 10.
  EXPECT_EQ(sample_frame_indices(10, 3, FrameSamplingMode::Eval), (std::vector<int>{0, 3, 6}));
  EXPECT_EQ(sample_frame_indices(10, 3, FrameSamplingMode::Eval, nullptr, "", FrameSamplingRule::Centred),
            (std::vector<int>{1, 4, 8}));
  std::mt19937_64 rng(1);
  for (int i = 0; i < 200; ++i) EXPECT_LE(sample_frame_indices(10, 3, FrameSamplingMode::Train, &rng)[2], 8);
  EXPECT_EQ(parse_frame_sampling_rule("centred"), FrameSamplingRule::Centred);
  EXPECT_EQ(to_string(parse_frame_sampling_rule("reference")), "reference");
  const auto e = test::error_of([] { parse_frame_sampling_rule("middle"); });
  EXPECT_NE(e.find("frame-sampling: expected a frame sampling rule reference|centred, got 'middle'"), std::string::npos) << e;
}
