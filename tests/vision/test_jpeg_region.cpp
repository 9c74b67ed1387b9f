// Region decoding (jpeg_region.h): the pixels inside the box are a full decode's, for 4:2:0, 4:4:4,
// progressive and drafted JPEGs and boxes at odd offsets; the training transform on a region gives
// train_transform_into's numbers and consumes the generator alike.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <random>

#include "../test_support.h"
#include "avtune/util/error.h"
#include "avtune/vision/fused_transforms.h"
#include "avtune/vision/image_io.h"
#include "avtune/vision/image_transforms.h"
#include "avtune/vision/jpeg_region.h"

using namespace avtune;

namespace {

// A smooth image with texture, uint8 (3, H, W).
torch::Tensor textured(int64_t h, int64_t w, uint64_t seed) {
  auto gen = make_generator(seed);
  auto y = torch::linspace(0, 1, h).view({1, h, 1}), x = torch::linspace(0, 1, w).view({1, 1, w});
  auto base = torch::cat({(y * 200).expand({1, h, w}), (x * 180).expand({1, h, w}), (x + y) * 90}, 0) +
              torch::rand({3, h, w}, gen) * 55;
  return base.clamp(0, 255).to(torch::kUInt8).contiguous();
}

struct Case {
  std::string path;
  ImageDecodeOptions decode;
};

// Fixtures made by PIL (131 x 97: odd sizes; 4:2:0, 4:4:4, progressive) and frames written here.
std::vector<Case> cases(const test::TempDir& d) {
  std::vector<Case> c;
  for (const char* name : {"rgb.jpg", "rgb444.jpg", "rgb_progressive.jpg"}) c.push_back({test::fixture(std::string("vision/") + name), {}});
  const auto frame = d.file("frame360.jpg"), big = d.file("frame720.jpg");
  write_jpeg(frame, textured(360, 640, 3), 85);
  write_jpeg(big, textured(720, 1278, 4), 85);
  c.push_back({frame, {}});
  c.push_back({big, {}});
  c.push_back({big, {224, 224}});  // drafted to 1/2: 360 x 639
  c.push_back({big, {90, 150}});   // drafted to 1/8
  return c;
}

std::vector<ImageBox> boxes(int64_t H, int64_t W, uint64_t seed) {
  std::vector<ImageBox> b = {{0, 0, H, W}, {1, 1, 3, 5}, {0, W - 1, H, 1}, {H - 7, W - 9, 7, 9}, {H / 3, 17, H / 2, W / 3}};
  std::mt19937_64 rng(seed);
  for (int k = 0; k < 20; ++k) {
    const int64_t h = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(H));
    const int64_t w = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(W));
    b.push_back({static_cast<int64_t>(rng() % static_cast<uint64_t>(H - h + 1)),
                 static_cast<int64_t>(rng() % static_cast<uint64_t>(W - w + 1)), h, w});
  }
  return b;
}

}  // namespace

TEST(JpegRegion, PixelsInsideTheBoxAreTheFullDecodes) {
  test::TempDir d;
  for (const auto& c : cases(d)) {
    const auto full = read_image_hwc(c.path, c.decode);
    const int64_t H = full.size(0), W = full.size(1);
    for (const auto& box : boxes(H, W, static_cast<uint64_t>(H * W))) {
      SCOPED_TRACE(c.path + " draft " + std::to_string(c.decode.min_height) + " box " + std::to_string(box.top) + "," +
                   std::to_string(box.left) + " " + std::to_string(box.height) + "x" + std::to_string(box.width));
      int64_t seen_h = 0, seen_w = 0;
      const auto r = read_image_region_hwc(c.path, c.decode, [&](int64_t h, int64_t w) {
        seen_h = h;
        seen_w = w;
        return box;
      });
      EXPECT_EQ(seen_h, H);
      EXPECT_EQ(seen_w, W);
      ASSERT_LE(r.top, box.top);
      ASSERT_LE(r.left, box.left);
      ASSERT_GE(r.top + r.hwc.size(0), box.top + box.height);
      ASSERT_GE(r.left + r.hwc.size(1), box.left + box.width);
      const auto got = r.hwc.slice(0, box.top - r.top, box.top - r.top + box.height).slice(1, box.left - r.left, box.left - r.left + box.width);
      const auto want = full.slice(0, box.top, box.top + box.height).slice(1, box.left, box.left + box.width);
      EXPECT_TRUE(got.equal(want)) << "max diff " << test::max_abs_diff(got.to(torch::kFloat), want.to(torch::kFloat));
    }
  }
}

TEST(JpegRegion, DecodesLessThanTheWholeFrame) {
  test::TempDir d;
  const auto path = d.file("f.jpg");
  write_jpeg(path, textured(360, 640, 9), 85);
  const auto r = read_image_region_hwc(path, {}, [](int64_t, int64_t) { return ImageBox{101, 203, 120, 150}; });
  // The box plus the upsampling margin, widened to 16-pixel iMCU columns.
  EXPECT_LE(r.hwc.size(0), 124);
  EXPECT_LE(r.hwc.size(1), 150 + 2 + 2 + 30);
}

TEST(JpegRegion, GrayAndPngAreDecodedWhole) {
  for (const char* name : {"gray.jpg", "rgb.png"}) {
    const auto path = test::fixture(std::string("vision/") + name);
    const auto r = read_image_region_hwc(path, {}, [](int64_t, int64_t) { return ImageBox{3, 4, 10, 11}; });
    EXPECT_EQ(r.top, 0);
    EXPECT_EQ(r.left, 0);
    EXPECT_TRUE(r.hwc.equal(read_image_hwc(path))) << name;
  }
}

TEST(JpegRegion, TruncatedAndOutsideBoxesAreErrorsNamingTheFile) {
  test::TempDir d;
  std::ifstream in(test::fixture("vision/rgb.jpg"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto cut = d.file("cut.jpg");
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() - 40);
  // The box lies above the cut: the file still fails, as read_image_hwc fails on it.
  try {
    read_image_region_hwc(cut, {}, [](int64_t, int64_t) { return ImageBox{0, 0, 8, 8}; });
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(cut), std::string::npos) << e.what();
  }
  // Bytes after the EOI marker (some cameras append data) are no truncation: decoded as in full.
  const auto tail = d.file("tail.jpg");
  std::ofstream(tail, std::ios::binary) << bytes << "trailing bytes";
  const auto r = read_image_region_hwc(tail, {}, [](int64_t, int64_t) { return ImageBox{5, 7, 9, 11}; });
  EXPECT_TRUE(r.hwc.slice(0, 5 - r.top, 14 - r.top).slice(1, 7 - r.left, 18 - r.left).equal(read_image_hwc(tail).slice(0, 5, 14).slice(1, 7, 18)));
  try {
    read_image_region_hwc(test::fixture("vision/rgb.jpg"), {}, [](int64_t h, int64_t w) { return ImageBox{0, 0, h + 1, w}; });
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("a region inside the 131 x 97 image"), std::string::npos) << e.what();
  }
}

TEST(JpegRegion, TrainTransformFromTheRegionGivesTrainTransformIntosBits) {
  test::TempDir d;
  for (const auto& c : cases(d)) {
    const auto hwc = read_image_hwc(c.path, c.decode);
    for (uint64_t seed = 0; seed < 10; ++seed) {
      SCOPED_TRACE(c.path + " draft " + std::to_string(c.decode.min_height) + " seed " + std::to_string(seed));
      TrainTransformOptions o;
      o.height = 224;
      o.width = seed % 3 == 0 ? 160 : 224;
      auto g1 = make_generator(seed), g2 = make_generator(seed);
      auto want = torch::empty({3, 2, o.height, o.width}), got = torch::full({3, 2, o.height, o.width}, -7.0f);
      const int64_t plane = o.height * o.width;
      train_transform_into(hwc, g1, o, want.data_ptr<float>() + plane, 2 * plane);
      train_transform_file_into(c.path, c.decode, g2, o, got.data_ptr<float>() + plane, 2 * plane);
      EXPECT_TRUE(got.select(1, 1).equal(want.select(1, 1)))
          << "max diff " << test::max_abs_diff(got.select(1, 1), want.select(1, 1));
      EXPECT_TRUE(got.select(1, 0).eq(-7.0f).all().item<bool>());
      EXPECT_EQ(torch::rand({1}, g1).item<float>(), torch::rand({1}, g2).item<float>());
    }
  }
}
