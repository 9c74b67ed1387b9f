// train_transform_into against train_transform (whose PIL parity test_image_transforms.cpp checks),
// and JPEG decoding at a reduced size (PIL's draft).
#include <gtest/gtest.h>

#include <cstdio>

#include "../test_support.h"
#include "avtune/vision/fused_transforms.h"
#include "avtune/vision/image_io.h"
#include "avtune/vision/image_transforms.h"

using namespace avtune;

namespace {

// A smooth image with texture, uint8 (H, W, 3).
torch::Tensor test_image(int64_t h, int64_t w, uint64_t seed) {
  auto gen = make_generator(seed);
  auto y = torch::linspace(0, 1, h).view({h, 1, 1}), x = torch::linspace(0, 1, w).view({1, w, 1});
  auto base = torch::cat({(y * 200).expand({h, w, 1}), (x * 180).expand({h, w, 1}), (x + y) * 90}, 2) +
              torch::rand({h, w, 3}, gen) * 55;
  return base.clamp(0, 255).to(torch::kUInt8).contiguous();
}

}  // namespace

TEST(FusedTransforms, TrainIntoGivesTrainTransformsBits) {
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{360, 640}, {180, 240}, {50, 60}, {224, 224}, {720, 300}};
  for (const auto& [h, w] : shapes) {
    const auto hwc = test_image(h, w, static_cast<uint64_t>(h * w));
    const auto chw = hwc.permute({2, 0, 1}).contiguous();
    for (uint64_t seed = 0; seed < 12; ++seed) {
      SCOPED_TRACE(std::to_string(h) + "x" + std::to_string(w) + " seed " + std::to_string(seed));
      TrainTransformOptions o;
      o.height = 224;
      o.width = seed % 3 == 0 ? 160 : 224;
      o.flip_probability = seed % 4 == 1 ? 1.0 : 0.5;  // flipped for sure in a quarter of the cases
      auto g1 = make_generator(seed), g2 = make_generator(seed);
      const auto want = train_transform(chw, g1, o);
      // Frame 1 of a (3, 2, H, W) clip: planes T * H * W apart.
      auto clip = torch::full({3, 2, o.height, o.width}, -7.0f);
      train_transform_into(hwc, g2, o, clip.data_ptr<float>() + o.height * o.width, 2 * o.height * o.width);
      EXPECT_TRUE(clip.select(1, 1).equal(want)) << "max diff " << test::max_abs_diff(clip.select(1, 1), want);
      EXPECT_TRUE(clip.select(1, 0).eq(-7.0f).all().item<bool>());
      // Both consumed the generator alike.
      EXPECT_EQ(torch::rand({1}, g1).item<float>(), torch::rand({1}, g2).item<float>());
    }
  }
}

TEST(FusedTransforms, DraftDecodesJpegAtAReducedSizeLikePil) {
  test::TempDir d;
  const auto path = d.file("frame.jpg");
  write_jpeg(path, test_image(720, 1280, 5).permute({2, 0, 1}), 90);
  const auto full = read_image_hwc(path);
  EXPECT_TRUE(full.equal(read_image(path).permute({1, 2, 0})));
  // PIL's rule: the largest of 1/8, 1/4, 1/2 with min(1280 // w, 720 // h) >= it.
  EXPECT_EQ(read_image_hwc(path, {224, 224}).sizes(), (std::vector<int64_t>{360, 640, 3}));  // 720 // 224 = 3
  EXPECT_EQ(read_image_hwc(path, {100, 100}).sizes(), (std::vector<int64_t>{180, 320, 3}));  // 7 -> 1/4
  EXPECT_EQ(read_image_hwc(path, {90, 160}).sizes(), (std::vector<int64_t>{90, 160, 3}));    // 8 -> 1/8
  EXPECT_EQ(read_image_hwc(path, {400, 400}).sizes(), (std::vector<int64_t>{720, 1280, 3}));  // 1 -> full
  // What it changes: the whole frame resized to 224 x 224 from either decode.
  const auto a = resize(full.permute({2, 0, 1}), 224, 224).to(torch::kFloat);
  const auto b = resize(read_image_hwc(path, {224, 224}).permute({2, 0, 1}), 224, 224).to(torch::kFloat);
  const double mean_levels = (a - b).abs().mean().item<double>(), max_levels = (a - b).abs().max().item<double>();
  std::printf("draft 1/2 vs full decode, resized to 224: mean %.2f, max %.0f of 255 levels\n", mean_levels, max_levels);
  EXPECT_LT(mean_levels, 4.0);
}
