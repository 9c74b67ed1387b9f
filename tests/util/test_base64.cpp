#include <gtest/gtest.h>

#include "avtune/util/base64.h"

namespace avtune {
namespace {

// The test vectors of RFC 4648 §10.
TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foob"), "Zm9vYg==");
  EXPECT_EQ(base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
}

TEST(Base64, HighBytesAndLastAlphabetCharacters) {
  EXPECT_EQ(base64(std::string("\xff\xff\xff", 3)), "////");
  EXPECT_EQ(base64(std::string("\xfb\xef\xbe", 3)), "++++");
  EXPECT_EQ(base64(std::string("\x00\x00", 2)), "AAA=");
  EXPECT_EQ(base64(std::string("\x89PNG", 4)), "iVBORw==");
}

}  // namespace
}  // namespace avtune
