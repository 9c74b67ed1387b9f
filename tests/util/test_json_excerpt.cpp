// Bounded JSON in error messages and the settings' value ranges (issue 17).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "avtune/util/json_excerpt.h"
#include "avtune/util/value_range.h"

using namespace avtune;
using nlohmann::json;

namespace {

TEST(JsonExcerpt, HundredThousandNestedArraysPrintShort) {
  const size_t n = 100000;
  const json j = json::parse(std::string(n, '[') + std::string(n, ']'));
  const std::string s = json_excerpt(j);
  EXPECT_LE(s.size(), 83u) << s;
  EXPECT_EQ(s.substr(0, 3), "[[[");
}

TEST(JsonExcerpt, SmallValuesPrintAsJson) {
  EXPECT_EQ(json_excerpt(json::parse(R"({"a":[1,2],"b":"x"})")), R"({"a":[1,2],"b":"x"})");
  EXPECT_EQ(json_excerpt(json(std::string(1000, 'z'))).size(), 83u);
}

TEST(ValueRange, NonFiniteAndOutOfRangeAreNamed) {
  EXPECT_EQ(range_problem(json(0.5), {0, 1}), "");
  EXPECT_EQ(range_problem(json(1.0), {0, 1, false, true}), "a number in [0, 1)");
  EXPECT_EQ(range_problem(json(std::nan("")), {0, kNoLimit}), "a finite number >= 0");
  EXPECT_EQ(range_problem(json(HUGE_VAL), {-kNoLimit, kNoLimit}), "a finite number");
  EXPECT_EQ(range_problem(json(-1), {0, kNoLimit, true}), "a finite number > 0");
  EXPECT_EQ(range_problem(json::array({1, 2, -3}), {0, kNoLimit}), "a finite number >= 0");
  EXPECT_EQ(range_problem(json("text"), {0, 1}), "");
}

}  // namespace
