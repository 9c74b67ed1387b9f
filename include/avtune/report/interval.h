#pragma once
// Confidence intervals for the study's comparisons: the difference of two arms' means over seeds with
// Welch's t interval (unequal variances, Welch–Satterthwaite degrees of freedom). Why Welch and not a
// bootstrap over 3-8 seeds: docs/report.md ("Intervals"). Torch-free.
#include <cmath>
#include <cstddef>
#include <vector>

namespace avtune {

// Student's t distribution with `df` > 0 degrees of freedom (df may be fractional, as Welch's is):
// P(T <= t), from the regularised incomplete beta function.
double student_t_cdf(double t, double df);
// The t with P(T <= t) = p, 0 < p < 1 (computed, not tabled: Welch's df is rarely an integer).
double student_t_quantile(double p, double df);

// mean(a) - mean(b) with its two-sided `level` interval.
struct WelchInterval {
  double diff = std::nan(""), lo = std::nan(""), hi = std::nan("");
  double se = std::nan(""), df = std::nan("");  // df = +inf when both arms have zero spread
  double level = 0.95;
  size_t n_a = 0, n_b = 0;
  // Both arms have >= 2 finite values: an interval exists.
  bool valid() const { return std::isfinite(lo) && std::isfinite(hi); }
  bool contains_zero() const { return valid() && lo <= 0 && hi >= 0; }
};

// From summaries (mean, sample std, n per arm). NaN bounds when either n < 2 or a number is not finite.
WelchInterval welch_interval(double mean_a, double sd_a, size_t n_a, double mean_b, double sd_b, size_t n_b,
                             double level = 0.95);
// From the per-seed values themselves.
WelchInterval welch_interval(const std::vector<double>& a, const std::vector<double>& b, double level = 0.95);

// Half-width of the `level` interval of one mean: t(n-1) * sd / sqrt(n) (NaN for n < 2); the figures'
// error bars.
double mean_half_width(double sd, size_t n, double level = 0.95);

}  // namespace avtune
