// Student's t and Welch's interval against values computed independently: closed forms for df 1 and 2
// (t = tan(pi (p - 1/2)); t = (2p - 1) / sqrt(2 p (1 - p))) and mpmath for the rest
// (tests/report/reference_intervals.py prints every number used here).
#include <gtest/gtest.h>

#include <cmath>

#include "avtune/report/interval.h"

namespace avtune {
namespace {

TEST(Interval, StudentTQuantileMatchesClosedFormsAndMpmath) {
  const double pi = std::acos(-1.0);
  EXPECT_NEAR(student_t_quantile(0.975, 1), std::tan(pi * 0.475), 1e-9);
  EXPECT_NEAR(student_t_quantile(0.975, 2), 0.95 / std::sqrt(2 * 0.975 * 0.025), 1e-9);
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.7062047361747, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.975, 4), 2.77644510519779, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.975, 10), 2.22813885198627, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.975, 3.7), 2.86752070719119, 1e-9);  // a fractional (Welch) df
  EXPECT_NEAR(student_t_quantile(0.975, 30), 2.04227245630124, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.975, 1e9), 1.959963984540054, 1e-6);  // the normal limit
  EXPECT_NEAR(student_t_quantile(0.025, 4), -2.77644510519779, 1e-9);
  EXPECT_DOUBLE_EQ(student_t_quantile(0.5, 3), 0.0);
  EXPECT_NEAR(student_t_cdf(1.5, 2.5), 0.876081773456852, 1e-12);
  EXPECT_NEAR(student_t_cdf(-1.5, 2.5), 1 - 0.876081773456852, 1e-12);
  EXPECT_TRUE(std::isnan(student_t_quantile(1.0, 3)));
  EXPECT_TRUE(std::isnan(student_t_quantile(0.975, 0)));
}

TEST(Interval, WelchIntervalOfHandMadeSeeds) {
  // Equal spread and n: df = 2 (n - 1) = 4.
  auto w = welch_interval({0.70, 0.72, 0.71}, {0.60, 0.62, 0.61});
  EXPECT_NEAR(w.diff, 0.1, 1e-12);
  EXPECT_NEAR(w.df, 4.0, 1e-9);
  EXPECT_NEAR(w.lo, 0.0773304206447248, 1e-9);
  EXPECT_NEAR(w.hi, 0.122669579355275, 1e-9);
  EXPECT_EQ(w.n_a, 3u);
  EXPECT_FALSE(w.contains_zero());
  // Unequal n and spread: Welch–Satterthwaite df 3.7536.
  w = welch_interval({0.55, 0.60, 0.52, 0.58, 0.61}, {0.50, 0.57, 0.49});
  EXPECT_NEAR(w.df, 3.75358689633476, 1e-9);
  EXPECT_NEAR(w.lo, -0.0338423834108151, 1e-9);
  EXPECT_NEAR(w.hi, 0.137842383410815, 1e-9);
  EXPECT_TRUE(w.contains_zero());
  // Just reaching past zero: [-0.10443, +0.00110].
  w = welch_interval({0.60, 0.58, 0.63}, {0.64, 0.66, 0.65, 0.67});
  EXPECT_NEAR(w.df, 2.79480256496794, 1e-9);
  EXPECT_NEAR(w.lo, -0.104432281329849, 1e-9);
  EXPECT_NEAR(w.hi, 0.00109894799651611, 1e-9);
  EXPECT_TRUE(w.contains_zero());
  // The summary form gives the same interval.
  const auto s = welch_interval(0.71, 0.01, 3, 0.61, 0.01, 3);
  EXPECT_NEAR(s.lo, 0.0773304206447248, 1e-9);
}

TEST(Interval, DegenerateCases) {
  EXPECT_FALSE(welch_interval({0.7}, {0.6, 0.5}).valid());  // one seed: no spread to estimate
  EXPECT_NEAR(welch_interval({0.7}, {0.6, 0.5}).diff, 0.15, 1e-12);
  EXPECT_FALSE(welch_interval({}, {0.6, 0.5}).valid());
  const auto same = welch_interval({0.7, 0.7}, {0.6, 0.6});  // every seed agrees: the point itself
  EXPECT_TRUE(same.valid());
  EXPECT_NEAR(same.lo, 0.1, 1e-12);
  EXPECT_NEAR(same.hi, 0.1, 1e-12);
  EXPECT_TRUE(std::isinf(same.df));
  EXPECT_TRUE(std::isnan(mean_half_width(0.1, 1)));
  EXPECT_NEAR(mean_half_width(0.01, 3), 4.30265272974946 * 0.01 / std::sqrt(3.0), 1e-9);
}

}  // namespace
}  // namespace avtune
