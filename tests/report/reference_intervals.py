#!/usr/bin/env python3
"""Reference values for tests/report/test_interval.cpp and test_verdicts.cpp, computed with mpmath
(Debian python3-mpmath) independently of avtune's code: Student's t quantiles (integer and fractional
df) and Welch intervals of hand-made per-seed numbers. Run: python3 tests/report/reference_intervals.py"""
import mpmath as mp

mp.mp.dps = 30


def cdf(t, df):
    x = df / (df + t * t)
    tail = mp.betainc(df / 2, mp.mpf(1) / 2, 0, x, regularized=True) / 2
    return 1 - tail if t >= 0 else tail


def quantile(p, df):
    return mp.findroot(lambda t: cdf(t, df) - p, 2)


def welch(a, b):
    a = [mp.mpf(str(x)) for x in a]
    b = [mp.mpf(str(x)) for x in b]
    na, nb = len(a), len(b)
    ma, mb = mp.fsum(a) / na, mp.fsum(b) / nb
    va = mp.fsum([(x - ma) ** 2 for x in a]) / (na - 1) / na
    vb = mp.fsum([(x - mb) ** 2 for x in b]) / (nb - 1) / nb
    se = mp.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (na - 1) + vb ** 2 / (nb - 1))
    t = quantile(mp.mpf("0.975"), df)
    return ma - mb, ma - mb - t * se, ma - mb + t * se, df


for df in ["1", "2", "4", "10", "3.7", "30"]:
    print("t_0.975(df=%s) =" % df, mp.nstr(quantile(mp.mpf("0.975"), mp.mpf(df)), 15))
print("P(T <= 1.5 | df=2.5) =", mp.nstr(cdf(mp.mpf("1.5"), mp.mpf("2.5")), 15))
for a, b in [([0.70, 0.72, 0.71], [0.60, 0.62, 0.61]),
             ([0.55, 0.60, 0.52, 0.58, 0.61], [0.50, 0.57, 0.49]),
             ([0.60, 0.58, 0.63], [0.64, 0.66, 0.65, 0.67])]:
    d, lo, hi, df = welch(a, b)
    print("welch", a, b, "diff", mp.nstr(d, 15), "ci", mp.nstr(lo, 15), mp.nstr(hi, 15), "df", mp.nstr(df, 15))
