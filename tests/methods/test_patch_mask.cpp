#include <gtest/gtest.h>

#include "avtune/methods/patch_mask.h"
#include "avtune/util/error.h"

using namespace avtune;

namespace {
int64_t zeros(const torch::Tensor& t) { return t.eq(0).sum().item<int64_t>(); }
}  // namespace

TEST(PatchMask, MasksFloorOfRatioTimesPatchesAtThePaperShapes) {
  std::mt19937_64 rng(7);
  for (double ratio : {0.0, 0.001, 0.1, 0.25, 0.3337, 0.5, 0.999}) {
    SCOPED_TRACE(ratio);
    // Audio 1024 x 128: 512 patches of 32 x 8 = 256 values.
    auto a = torch::ones({1, 1024, 128});
    const int64_t k = mask_patches(a, kAudioPatchGrid, ratio, rng);
    EXPECT_EQ(k, static_cast<int64_t>(ratio * 512));
    EXPECT_EQ(zeros(a), k * 256);
  }
  // A 224 x 224 frame: 22 x 22 = 484 patches; with floor(i*224/22) edges, 10 or 11 px each way.
  auto f = torch::ones({3, 224, 224});
  const int64_t k = mask_patches(f, kVisualPatchGrid, 0.5, rng);
  EXPECT_EQ(k, 242);
  const int64_t z = zeros(f[0]);
  EXPECT_GE(z, 242 * 100);
  EXPECT_LE(z, 242 * 121);
  EXPECT_TRUE(torch::equal(f[0], f[1]) && torch::equal(f[1], f[2])) << "all channels of a patch masked alike";
}

TEST(PatchMask, PatchesAreDistinctAndTheGridCoversSmallInputs) {
  std::mt19937_64 rng(1);
  // 32 x 16 grid on 64 x 32 input: 2 x 2 patches; ratio 0.99 -> 506 distinct ones -> 2024 zeros.
  auto a = torch::ones({1, 64, 32});
  EXPECT_EQ(mask_patches(a, kAudioPatchGrid, 0.99, rng), 506);
  EXPECT_EQ(zeros(a), 506 * 4);
  // A 32 x 32 frame: edges at floor(i*32/22), patches of 1 or 2 px; almost everything masked at 0.99.
  auto f = torch::ones({3, 32, 32});
  EXPECT_EQ(mask_patches(f, kVisualPatchGrid, 0.99, rng), 479);
  EXPECT_GT(zeros(f[0]), 32 * 32 * 9 / 10);
}

TEST(PatchMask, SameRngSameMaskOtherwiseDifferent) {
  auto a = torch::ones({1, 256, 64}), b = a.clone(), c = a.clone();
  std::mt19937_64 r1(42), r2(42), r3(43);
  mask_patches(a, kAudioPatchGrid, 0.3, r1);
  mask_patches(b, kAudioPatchGrid, 0.3, r2);
  mask_patches(c, kAudioPatchGrid, 0.3, r3);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, c));
}

TEST(PatchMask, RejectsBadRatios) {
  std::mt19937_64 rng(0);
  auto a = torch::ones({4, 4});
  EXPECT_THROW(mask_patches(a, kAudioPatchGrid, 1.0, rng), Error);
  EXPECT_THROW(mask_patches(a, kAudioPatchGrid, -0.1, rng), Error);
  EXPECT_THROW(mask_patches(a, kAudioPatchGrid, std::nan(""), rng), Error);
}

TEST(PatchMask, StageTwoTransformMasksEachModalityByItsRatioAndFramesIndependently) {
  std::map<std::string, MaskRatio> ratios = {{"easy-audio", {0.5, 0.0}}, {"easy-visual", {0.0, 0.25}}};
  const auto t = fusion_mask_transform(ratios, "ratios.csv");
  std::mt19937_64 rng(5);
  Sample s;
  s.name = "easy-audio";
  s.audio = torch::ones({1, 1024, 128});
  s.visual = torch::ones({3, 3, 224, 224});
  const auto original_audio = s.audio;
  t(s, rng);
  EXPECT_EQ(zeros(s.audio), 256 * 256);
  EXPECT_EQ(zeros(s.visual), 0);
  EXPECT_EQ(zeros(original_audio), 0) << "the transform must not write into the loaded tensor";

  s.name = "easy-visual";
  s.audio = torch::ones({1, 1024, 128});
  s.visual = torch::ones({3, 3, 224, 224});
  t(s, rng);
  EXPECT_EQ(zeros(s.audio), 0);
  const auto f0 = s.visual.select(1, 0)[0], f1 = s.visual.select(1, 1)[0];
  EXPECT_GT(zeros(f0), 121 * 100);
  EXPECT_FALSE(torch::equal(f0, f1)) << "each frame draws its own patches";

  s.name = "unknown";
  try {
    t(s, rng);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ratios.csv"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("unknown"), std::string::npos);
  }
}
