#include "avtune/report/interval.h"

#include <algorithm>
#include <limits>

namespace avtune {

namespace {

// Continued fraction of the incomplete beta function (modified Lentz evaluation), valid for
// x < (a + 1) / (a + b + 2); the caller uses the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) otherwise.
double beta_fraction(double a, double b, double x) {
  const double tiny = 1e-300;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double f = d;
  for (int m = 1; m <= 1000; ++m) {
    // Even step: m (b - m) x / ((a + 2m - 1)(a + 2m)); odd step: -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)).
    const double even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 + even * d;
    c = 1 + even / c;
    if (std::fabs(d) < tiny) d = tiny;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    f *= c * d;
    const double odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + odd * d;
    c = 1 + odd / c;
    if (std::fabs(d) < tiny) d = tiny;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double step = c * d;
    f *= step;
    if (std::fabs(step - 1) < 1e-15) break;
  }
  return f;
}

// Regularised incomplete beta I_x(a, b).
double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return std::exp(log_front) * beta_fraction(a, b, x) / a;
  return 1 - std::exp(log_front) * beta_fraction(b, a, 1 - x) / b;
}

double nan() { return std::numeric_limits<double>::quiet_NaN(); }

void mean_sd(const std::vector<double>& v, double& mean, double& sd) {
  mean = sd = nan();
  if (v.empty()) return;
  double s = 0;
  for (double x : v) s += x;
  mean = s / static_cast<double>(v.size());
  double q = 0;
  for (double x : v) q += (x - mean) * (x - mean);
  sd = v.size() > 1 ? std::sqrt(q / static_cast<double>(v.size() - 1)) : 0.0;
}

}  // namespace

double student_t_cdf(double t, double df) {
  if (!(df > 0) || std::isnan(t)) return nan();
  if (std::isinf(t)) return t > 0 ? 1.0 : 0.0;
  // P(|T| > |t|) = I_{df/(df+t^2)}(df/2, 1/2).
  const double tail = 0.5 * incomplete_beta(df / 2, 0.5, df / (df + t * t));
  return t >= 0 ? 1 - tail : tail;
}

double student_t_quantile(double p, double df) {
  if (!(p > 0 && p < 1) || !(df > 0)) return nan();
  if (std::isinf(df)) df = 1e12;  // the normal limit
  if (p == 0.5) return 0;
  if (p < 0.5) return -student_t_quantile(1 - p, df);
  // Bisection on the monotone CDF: slow but sure, and called a handful of times per report.
  double lo = 0, hi = 1;
  while (student_t_cdf(hi, df) < p && hi < 1e300) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-14 * std::max(1.0, hi); ++i) {
    const double mid = 0.5 * (lo + hi);
    (student_t_cdf(mid, df) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

WelchInterval welch_interval(double ma, double sa, size_t na, double mb, double sb, size_t nb, double level) {
  WelchInterval w;
  w.level = level;
  w.n_a = na;
  w.n_b = nb;
  if (std::isfinite(ma) && std::isfinite(mb)) w.diff = ma - mb;
  if (na < 2 || nb < 2 || !std::isfinite(w.diff) || !std::isfinite(sa) || !std::isfinite(sb)) return w;
  const double va = sa * sa / static_cast<double>(na), vb = sb * sb / static_cast<double>(nb);
  w.se = std::sqrt(va + vb);
  if (w.se == 0) {  // every seed of both arms agrees: the interval is the point
    w.df = std::numeric_limits<double>::infinity();
    w.lo = w.hi = w.diff;
    return w;
  }
  // Welch–Satterthwaite: df = (va + vb)^2 / (va^2 / (na - 1) + vb^2 / (nb - 1)).
  w.df = (va + vb) * (va + vb) / (va * va / static_cast<double>(na - 1) + vb * vb / static_cast<double>(nb - 1));
  const double t = student_t_quantile(0.5 + level / 2, w.df);
  w.lo = w.diff - t * w.se;
  w.hi = w.diff + t * w.se;
  return w;
}

WelchInterval welch_interval(const std::vector<double>& a, const std::vector<double>& b, double level) {
  double ma, sa, mb, sb;
  mean_sd(a, ma, sa);
  mean_sd(b, mb, sb);
  return welch_interval(ma, sa, a.size(), mb, sb, b.size(), level);
}

double mean_half_width(double sd, size_t n, double level) {
  if (n < 2 || !std::isfinite(sd)) return nan();
  return student_t_quantile(0.5 + level / 2, static_cast<double>(n - 1)) * sd / std::sqrt(static_cast<double>(n));
}

}  // namespace avtune
