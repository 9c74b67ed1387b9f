#include <gtest/gtest.h>

#include "avtune/vision/image_cache.h"
#include "avtune/vision/image_io.h"
#include "avtune/vision/image_transforms.h"
#include "../test_support.h"

using namespace avtune;

TEST(ImageCache, DecodesOnceAndTransformsLeaveTheSharedImageAlone) {
  test::TempDir d;
  const auto path = d.file("f.png");
  auto img = torch::randint(0, 256, {3, 20, 24}, torch::kUInt8);
  write_png(path, img);
  clear_image_cache();
  const auto a = cached_read_image(path), b = cached_read_image(path);
  EXPECT_TRUE(torch::equal(a, img));
  EXPECT_EQ(a.data_ptr(), b.data_ptr());
  EXPECT_EQ(image_cache_bytes(), size_t{3 * 20 * 24});
  const auto before = a.clone();
  at::Generator gen = make_generator(3);
  TrainTransformOptions t;
  t.height = t.width = 16;
  (void)train_transform(a, gen, t);
  EvalTransformOptions e;
  e.height = e.width = 16;
  (void)eval_transform(a, e);
  EXPECT_TRUE(torch::equal(a, before)) << "a transform wrote into the cached image";
  clear_image_cache();
  set_image_cache_limit(0);  // disabled: decoded every time, nothing kept
  EXPECT_NE(cached_read_image(path).data_ptr(), cached_read_image(path).data_ptr());
  EXPECT_EQ(image_cache_bytes(), 0u);
  set_image_cache_limit(size_t{1} << 30);
  clear_image_cache();
  EXPECT_EQ(image_cache_bytes(), 0u);
}
