#include <gtest/gtest.h>

#include "avtune/util/error.h"

using namespace avtune;

TEST(Error, FormatsComponentExpectedGotAndLocation) {
  try {
    fail("csv", "3 columns", "2", FileLocation{"data/train.csv", 17});
    FAIL() << "fail() returned";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "csv: expected 3 columns, got 2 (data/train.csv:17)");
  }
}

TEST(Error, OmitsLineZero) {
  try {
    fail("pth", "a zip", "garbage", FileLocation{"x.pth"});
    FAIL() << "fail() returned";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "pth: expected a zip, got garbage (x.pth)");
  }
}
