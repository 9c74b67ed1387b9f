// Image headers that claim huge sizes are refused before the decoder allocates for them, also on the
// reduced-size (draft) path; the input is the one fuzz/fuzz_image found (issue 17).
#include <gtest/gtest.h>

#include <fstream>

#include "avtune/vision/image_io.h"
#include "../test_support_base.h"

namespace avtune {
namespace {

// A 35-byte progressive JPEG whose frame header declares 16394 x 31500 pixels.
const unsigned char kHugeProgressiveJpeg[] = {
    0xff, 0xd8, 0xff, 0xc2, 0x00, 0x11, 0x08, 0x7b, 0x0c, 0x40, 0x0a, 0x03, 0x11, 0x22, 0x00, 0x02, 0x11, 0x01,
    0x03, 0x11, 0x01, 0x00, 0x22, 0xff, 0xda, 0x00, 0x08, 0x01, 0x03, 0x01, 0x01, 0x0c, 0x3f, 0x01, 0x00};

TEST(ImageHostile, HugeDeclaredJpegIsRefusedAtFullAndDraftSize) {
  test::TempDir d;
  const std::string path = d.file("huge.jpg");
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(kHugeProgressiveJpeg), sizeof kHugeProgressiveJpeg);
  ImageDecodeOptions draft;
  draft.min_height = draft.min_width = 8;
  const std::string e = test::error_of([&] { read_image_hwc(path, draft); });
  EXPECT_NE(e.find(path), std::string::npos) << e;
  EXPECT_NE(e.find("16394 x 31500"), std::string::npos) << e;
  const std::string full = test::error_of([&] { decode_image(kHugeProgressiveJpeg, sizeof kHugeProgressiveJpeg, "huge.jpg"); });
  EXPECT_NE(full.find("huge.jpg"), std::string::npos) << full;
  EXPECT_EQ(full.find("non-avtune"), std::string::npos) << full;
}

}  // namespace
}  // namespace avtune
