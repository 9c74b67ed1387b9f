#include "fbank_kernels.h"

#include <cfloat>
#include <cmath>
#include <cstring>

namespace avtune::fbank_kernels {

namespace {

// Runtime dispatch through GCC's function multi-versioning (ifunc): AVX-512, AVX2+FMA or baseline.
// The frame preparation never fuses multiply-adds (fp-contract=off; GCC's avx512f target allows
// them): a fused multiply-add rounds once where kaldi_fbank rounds twice, and the frames should be
// kaldi_fbank's. Code on 16-float vectors has its own AVX-512 version, chosen by wide(): without
// AVX-512, GCC splits those vectors badly (the frame preparation took 1.8x the time).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define AVTUNE_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define AVTUNE_CLONES_NO_FMA __attribute__((target_clones("avx2", "default"), optimize("fp-contract=off")))
#define AVTUNE_WIDE __attribute__((target("arch=x86-64-v4")))
#define AVTUNE_WIDE_NO_FMA __attribute__((target("arch=x86-64-v4"), optimize("fp-contract=off")))
#define AVTUNE_HAS_WIDE 1
#else
#define AVTUNE_CLONES
#define AVTUNE_CLONES_NO_FMA
#define AVTUNE_WIDE
#define AVTUNE_WIDE_NO_FMA
#define AVTUNE_HAS_WIDE 0
#endif

// Eight floats: one AVX register, two SSE ones (a GCC/Clang vector extension: nothing to port).
// Vec8 values never cross a call that is not inlined, so the baseline ABI warning does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float Vec8 __attribute__((vector_size(32)));
typedef float Vec16 __attribute__((vector_size(64)));  // one AVX-512 register, two AVX ones

inline Vec8 load8(const float* p) {
  Vec8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline Vec16 load16(const float* p) {
  Vec16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The 16 lanes' sum as a tree (four dependent adds, not sixteen).
inline float hsum(Vec16 v) {
  const Vec8 h = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) + __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  typedef float Vec4 __attribute__((vector_size(16)));
  const Vec4 q = __builtin_shufflevector(h, h, 0, 1, 2, 3) + __builtin_shufflevector(h, h, 4, 5, 6, 7);
  return (q[0] + q[2]) + (q[1] + q[3]);
}

// Sum (of squares) of x - mean in 64 partial sums: four independent chains of adds (their latency,
// not the loads, bound a single chain), vectorised without reassociation flags.
inline float sum_of16(const float* x, int64_t n, float mean, bool squares) {
  Vec16 a = {}, b = {}, c = {}, d = {};
  auto term = [&](int64_t i) {
    const Vec16 u = load16(x + i) - mean;
    return squares ? u * u : u;
  };
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) a += term(i), b += term(i + 16), c += term(i + 32), d += term(i + 48);
  for (; i + 16 <= n; i += 16) a += term(i);
  float s = 0.0f;
  for (; i < n; ++i) s += squares ? (x[i] - mean) * (x[i] - mean) : x[i] - mean;
  return s + hsum((a + b) + (c + d));
}

// The same in 32 partial sums of 8-float vectors.
inline float sum_of8(const float* x, int64_t n, float mean, bool squares) {
  Vec8 a = {}, b = {}, c = {}, d = {};
  auto term = [&](int64_t i) {
    const Vec8 u = load8(x + i) - mean;
    return squares ? u * u : u;
  };
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) a += term(i), b += term(i + 8), c += term(i + 16), d += term(i + 24);
  for (; i + 8 <= n; i += 8) a += term(i);
  float s = 0.0f;
  for (; i < n; ++i) s += squares ? (x[i] - mean) * (x[i] - mean) : x[i] - mean;
  a = (a + b) + (c + d);
  return s + ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
}

// log(max(v, FLT_EPSILON)) in Cephes' logf's form, written with integer selects and bit masks so
// that a row of them vectorises; NaN and infinity pass through as std::log's. Its polynomial has
// degree 5 instead of 8 (weighted least squares on [sqrt(1/2) - 1, sqrt(2) - 1]): 1.4e-7 relative
// error at most (Cephes' 8e-8; over 16M floats from FLT_EPSILON to 2^31), with three FMAs fewer.
inline float log_floored(float v) {
  int32_t bits = __builtin_bit_cast(int32_t, v);
  const int32_t eps_bits = __builtin_bit_cast(int32_t, FLT_EPSILON);
  bits = bits < eps_bits ? eps_bits : bits;  // max(v, eps) for v >= 0; negatives to eps, NaN kept
  const int32_t finite = -static_cast<int32_t>(bits < 0x7f800000);
  int32_t e = (bits >> 23) - 126;
  const int32_t mbits = (bits & 0x007fffff) | 0x3f000000;            // mantissa m0 in [0.5, 1)
  const int32_t small = -static_cast<int32_t>(mbits < 0x3f3504f3);  // m0 < sqrt(0.5): use 2 m0
  e += small;
  const float m0 = __builtin_bit_cast(float, mbits);
  const float m = m0 + __builtin_bit_cast(float, mbits & small) - 1.0f;
  const float z = m * m;
  float y = -1.0223550349e-1f;
  y = y * m + 1.6140249372e-1f;
  y = y * m - 1.7166762054e-1f;
  y = y * m + 1.9910332561e-1f;
  y = y * m - 2.4980586767e-1f;
  y = y * m + 3.3334687352e-1f;
  y = y * m * z;
  const float fe = static_cast<float>(e);
  y += -2.12194440e-4f * fe - 0.5f * z;
  const float r = m + y + 0.693359375f * fe;
  return __builtin_bit_cast(float, (__builtin_bit_cast(int32_t, r) & finite) | (bits & ~finite));
}

}  // namespace

namespace {

AVTUNE_WIDE_NO_FMA
FrameEnergy prepare_wide(const float* __restrict x, int64_t window, int64_t fft, const float* __restrict win,
                          float c, bool remove_dc, bool raw_energy, float* __restrict y) {
  FrameEnergy e;
  const float mean = remove_dc ? sum_of16(x, window, 0.0f, false) / static_cast<float>(window) : 0.0f;
  if (raw_energy) e.raw = sum_of16(x, window, mean, true);
  // y[i] = ((x[i] - mean) - c (x[i-1] - mean)) win[i], 16 at a time, x[i-1] read one sample back
  // (the first block's x[-1] is x[0]); the energy in two chains of fused multiply-adds (it only
  // sizes the conditioning check: y keeps kaldi_fbank's two roundings).
  Vec16 a = {}, b = {}, last = {};
  int64_t i = 0;
  auto block = [&](Vec16 cur, Vec16 prev, Vec16& acc) {
    const Vec16 u = (cur - c * prev) * load16(win + i);
    std::memcpy(y + i, &u, sizeof u);
    acc = __builtin_ia32_vfmaddps512_mask(u, u, acc, static_cast<unsigned short>(0xffff), 4);
    last = cur;
  };
  if (window >= 16) {
    const Vec16 cur = load16(x) - mean;
    block(cur, __builtin_shufflevector(cur, cur, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14), a);
    i = 16;
  }
  auto next = [&](Vec16 cur) {
    return __builtin_shufflevector(last, cur, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
  };
  for (; i + 32 <= window; i += 16) {
    Vec16 cur = load16(x + i) - mean;
    block(cur, next(cur), b);
    i += 16;
    cur = load16(x + i) - mean;
    block(cur, next(cur), a);
  }
  if (i + 16 <= window) {
    const Vec16 cur = load16(x + i) - mean;
    block(cur, next(cur), b);
    i += 16;
  }
  a += b;
  float energy = 0.0f;
  for (; i < window; ++i) {
    y[i] = ((x[i] - mean) - c * (x[i > 0 ? i - 1 : 0] - mean)) * win[i];
    energy += y[i] * y[i];
  }
  e.windowed = energy + hsum(a);
  std::memset(y + window, 0, sizeof(float) * static_cast<size_t>(fft - window));
  return e;
}

// prepare_frame 8 samples at a time.
AVTUNE_CLONES_NO_FMA
FrameEnergy prepare_narrow(const float* __restrict x, int64_t window, int64_t fft, const float* __restrict win,
                           float c, bool remove_dc, bool raw_energy, float* __restrict y) {
  FrameEnergy e;
  const float mean = remove_dc ? sum_of8(x, window, 0.0f, false) / static_cast<float>(window) : 0.0f;
  if (raw_energy) e.raw = sum_of8(x, window, mean, true);
  y[0] = ((x[0] - mean) - c * (x[0] - mean)) * win[0];
  Vec8 a = {}, b = {};  // the windowed energy in the same pass, two chains
  int64_t i = 1;
  for (; i + 16 <= window; i += 16) {
    const Vec8 u = ((load8(x + i) - mean) - c * (load8(x + i - 1) - mean)) * load8(win + i);
    const Vec8 v = ((load8(x + i + 8) - mean) - c * (load8(x + i + 7) - mean)) * load8(win + i + 8);
    std::memcpy(y + i, &u, sizeof u);
    std::memcpy(y + i + 8, &v, sizeof v);
    a += u * u;
    b += v * v;
  }
  a += b;
  float energy = y[0] * y[0];
  for (; i < window; ++i) {
    y[i] = ((x[i] - mean) - c * (x[i - 1] - mean)) * win[i];
    energy += y[i] * y[i];
  }
  for (int l = 0; l < 8; ++l) energy += a[l];
  e.windowed = energy;
  std::memset(y + window, 0, sizeof(float) * static_cast<size_t>(fft - window));
  return e;
}

}  // namespace

bool wide() {
#if AVTUNE_HAS_WIDE
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                          __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
  return yes;
#else
  return false;
#endif
}

FrameEnergy prepare_frame(const float* x, int64_t window, int64_t fft, const float* win, float c, bool remove_dc,
                          bool raw_energy, float* y) {
  return wide() ? prepare_wide(x, window, fft, win, c, remove_dc, raw_energy, y)
                : prepare_narrow(x, window, fft, win, c, remove_dc, raw_energy, y);
}

// X[k] = (A + B)/2 - i e^{-2 pi i k/n} (A - B)/2 with A = Z[k], B = conj(Z[half - k]), n = 2 half.
AVTUNE_CLONES
void split_power(const float* __restrict z, int64_t half, const float* __restrict cs, const float* __restrict sn,
                 bool magnitude, float* __restrict re, float* __restrict im, float* __restrict power) {
  for (int64_t k = 0; k < half; ++k) re[k] = z[2 * k], im[k] = z[2 * k + 1];
  re[half] = re[0];
  im[half] = im[0];
  for (int64_t k = 0; k < half; ++k) {
    const float ar = re[k], ai = im[k], br = re[half - k], bi = -im[half - k];
    const float sr = ar + br, si = ai + bi, dr = ar - br, di = ai - bi;
    const float xr = sr + cs[k] * di - sn[k] * dr, xi = si - cs[k] * dr - sn[k] * di;
    power[k] = 0.25f * (xr * xr + xi * xi);
  }
  if (magnitude)
    for (int64_t k = 0; k < half; ++k) power[k] = std::sqrt(power[k]);
}

AVTUNE_CLONES
void complex_power(const float* __restrict x, int64_t half, bool magnitude, float* __restrict power) {
  for (int64_t k = 0; k < half; ++k) power[k] = x[2 * k] * x[2 * k] + x[2 * k + 1] * x[2 * k + 1];
  if (magnitude)
    for (int64_t k = 0; k < half; ++k) power[k] = std::sqrt(power[k]);
}

AVTUNE_CLONES
void mel_energies(const float* __restrict power, const MelPanels& banks, float* __restrict mel) {
  const float* w = banks.weights;
  for (int64_t q = 0; q < banks.panels; ++q) {
    Vec8 a = {}, b = {}, c = {}, d = {};  // four chains: FMA latency, not throughput, bounds one
    const float* wq = w + banks.offset[q] * kPanel;
    const int64_t lo = banks.lo[q], hi = banks.hi[q];
    int64_t i = lo;
    for (; i + 4 <= hi; i += 4, wq += 4 * kPanel) {
      a += load8(wq) * power[i];
      b += load8(wq + kPanel) * power[i + 1];
      c += load8(wq + 2 * kPanel) * power[i + 2];
      d += load8(wq + 3 * kPanel) * power[i + 3];
    }
    for (; i < hi; ++i, wq += kPanel) a += load8(wq) * power[i];
    a += b + (c + d);
    std::memcpy(mel + q * kPanel, &a, sizeof a);
  }
}

namespace {

inline void store8(float* p, Vec8 v) { std::memcpy(p, &v, sizeof v); }

// r[i][j] <- r[j][i] for an 8 x 8 block held in eight registers.
__attribute__((always_inline)) inline void transpose8(Vec8* r) {
  Vec8 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
  }
  for (int i = 0; i < 8; i += 4)
    for (int h = 0; h < 2; ++h) {
      u[i + h] = __builtin_shufflevector(t[i + h], t[i + h + 2], 0, 1, 8, 9, 4, 5, 12, 13);
      u[i + h + 2] = __builtin_shufflevector(t[i + h], t[i + h + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    }
  for (int i = 0; i < 4; ++i) {
    r[i] = __builtin_shufflevector(u[i], u[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
    r[i + 4] = __builtin_shufflevector(u[i], u[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
  }
}

// After transpose8, column i of the block is in r[kTransposed[i]] (the shuffles swap 1-2 and 5-6).
constexpr int kTransposed[8] = {0, 2, 1, 3, 4, 6, 5, 7};

}  // namespace

AVTUNE_CLONES
void rows_to_lanes(const float* __restrict rows, int64_t stride, int64_t window, int64_t fft, float* __restrict re,
                   float* __restrict im) {
  int64_t t = 0;
  for (; t + 16 <= window; t += 16) {  // 16 samples of 8 rows: 8 (even, odd) pairs of 8 frames
    Vec8 ev[8], od[8];
    for (int l = 0; l < kLanes; ++l) {
      const Vec8 a = load8(rows + l * stride + t), b = load8(rows + l * stride + t + 8);
      ev[l] = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
      od[l] = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15);
    }
    transpose8(ev);
    transpose8(od);
    for (int i = 0; i < 8; ++i) {
      store8(re + (t / 2 + i) * kLanes, ev[kTransposed[i]]);
      store8(im + (t / 2 + i) * kLanes, od[kTransposed[i]]);
    }
  }
  for (; t < window; t += 2)
    for (int l = 0; l < kLanes; ++l) {
      re[t / 2 * kLanes + l] = rows[l * stride + t];
      im[t / 2 * kLanes + l] = t + 1 < window ? rows[l * stride + t + 1] : 0.0f;
    }
  std::memset(re + t / 2 * kLanes, 0, sizeof(float) * static_cast<size_t>((fft - t) / 2 * kLanes));
  std::memset(im + t / 2 * kLanes, 0, sizeof(float) * static_cast<size_t>((fft - t) / 2 * kLanes));
}

// split_power's formula with the frames in lanes, bins k and half - k from the same two points:
// X[k] = (A + B) - i w^k (A - B) with A = Z[k], B = conj Z[half - k], w = e^{-2 pi i / (2 half)},
// and X[half - k] the same with A and B swapped and w^{half - k} = -conj w^k. Power without the 1/4
// (or magnitude without the 1/2): the mel weights carry it, an exact power-of-two scaling.
AVTUNE_CLONES
void split_lanes(const float* __restrict re, const float* __restrict im, int64_t half, const float* __restrict cs,
                 const float* __restrict sn, bool magnitude, float* __restrict power) {
  for (int64_t k = 0; k <= half / 2; ++k) {
    const int64_t p = k * kLanes, q = (k == 0 ? 0 : half - k) * kLanes;
    const Vec8 ar = load8(re + p), ai = load8(im + p), br = load8(re + q), bi = load8(im + q);
    const Vec8 sr = ar + br, dr = ar - br, si = ai - bi, di = ai + bi;  // B = conj Z[half - k]
    const float c = cs[k], s = sn[k];
    const Vec8 xr = sr + c * di - s * dr, xi = si - c * dr - s * di;
    // Bin half - k: A' = Z[half - k], B' = conj Z[k]: sr' = sr, dr' = -dr, si' = -si, di' = di; c' = -c, s' = s.
    const Vec8 yr = sr - c * di + s * dr, yi = -si - c * dr - s * di;
    Vec8 u = xr * xr + xi * xi, v = yr * yr + yi * yi;
    if (magnitude)
      for (int l = 0; l < kLanes; ++l) u[l] = std::sqrt(u[l]), v[l] = std::sqrt(v[l]);
    store8(power + k * kLanes, u);
    if (k > 0 && half - k != k) store8(power + (half - k) * kLanes, v);
  }
}

AVTUNE_CLONES
void mel_lanes(const float* __restrict power, const MelFilters& filters, float* __restrict mel) {
  for (int64_t f = 0; f < filters.bins; ++f) {
    Vec8 a = {}, b = {};  // two chains
    const float* w = filters.weights + filters.offset[f] - filters.lo[f];
    int64_t k = filters.lo[f];
    for (; k + 2 <= filters.hi[f]; k += 2) {
      a += w[k] * load8(power + k * kLanes);
      b += w[k + 1] * load8(power + (k + 1) * kLanes);
    }
    if (k < filters.hi[f]) a += w[k] * load8(power + k * kLanes);
    store8(mel + f * kLanes, a + b);
  }
}

AVTUNE_CLONES
void lanes_to_rows(const float* __restrict mel, int64_t bins, float* __restrict rows, int64_t stride) {
  for (int64_t f = 0; f < bins; f += 8) {
    Vec8 r[8];
    for (int i = 0; i < 8; ++i) r[i] = load8(mel + (f + i) * kLanes);
    transpose8(r);
    for (int i = 0; i < 8; ++i) store8(rows + i * stride + f, r[kTransposed[i]]);
  }
}

// split_lanes's formula along one frame's row, 16 bins k and their mirrors half - k at a time, then
// the block's 8 power rows transposed into lanes: fewer shuffles than transposing the complex
// points (twice the data). Bins [0, half / 2) as X[k], (half / 2, half) as the mirrors' X[half - k],
// the middle bin alone: each bin by the same operations as split_lanes, so the same bits.
AVTUNE_WIDE
void split_rows(const float* __restrict rows, int64_t stride, int64_t half, const float* __restrict cs,
                const float* __restrict sn, bool magnitude, float* __restrict scratch, float* __restrict power) {
  const int64_t mid = half / 2;
  for (int l = 0; l < kLanes; ++l) {
    const float* z = rows + l * stride;
    float* p = scratch + l * (half + 16);
    for (int64_t k0 = 0; k0 < mid; k0 += 16) {
      const Vec16 a0 = load16(z + 2 * k0), a1 = load16(z + 2 * k0 + 16);
      const Vec16 b0 = load16(z + 2 * (half - k0 - 15)), b1 = load16(z + 2 * (half - k0 - 15) + 16);
      const Vec16 ar = __builtin_shufflevector(a0, a1, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
      const Vec16 ai = __builtin_shufflevector(a0, a1, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
      Vec16 br = __builtin_shufflevector(b0, b1, 30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
      Vec16 bi = __builtin_shufflevector(b0, b1, 31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
      if (k0 == 0) br[0] = ar[0], bi[0] = ai[0];  // Z[half] = Z[0]
      const Vec16 sr = ar + br, dr = ar - br, si = ai - bi, di = ai + bi;  // B = conj Z[half - k]
      const Vec16 c = load16(cs + k0), s = load16(sn + k0);
      const Vec16 xr = sr + c * di - s * dr, xi = si - c * dr - s * di;
      const Vec16 yr = sr - c * di + s * dr, yi = -si - c * dr - s * di;
      Vec16 u = xr * xr + xi * xi, v = yr * yr + yi * yi;
      if (magnitude)
        for (int i = 0; i < 16; ++i) u[i] = std::sqrt(u[i]), v[i] = std::sqrt(v[i]);
      std::memcpy(p + k0, &u, sizeof u);
      v = __builtin_shufflevector(v, v, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
      std::memcpy(p + half - k0 - 15, &v, sizeof v);  // bins half - k0 - 15 .. half - k0 (half: unused)
    }
    {
      const float ar = z[2 * mid], ai = z[2 * mid + 1], br = ar, bi = ai;
      const float sr = ar + br, dr = ar - br, si = ai - bi, di = ai + bi;
      const float c = cs[mid], s = sn[mid];
      const float xr = sr + c * di - s * dr, xi = si - c * dr - s * di;
      const float u = xr * xr + xi * xi;
      p[mid] = magnitude ? std::sqrt(u) : u;
    }
  }
  for (int64_t k = 0; k < half; k += 8) {
    Vec8 r[8];
    for (int l = 0; l < kLanes; ++l) r[l] = load8(scratch + l * (half + 16) + k);
    transpose8(r);
    for (int i = 0; i < 8; ++i) store8(power + (k + i) * kLanes, r[kTransposed[i]]);
  }
}

AVTUNE_CLONES
bool ill_conditioned(const float* __restrict mel, const float* __restrict weight_sums,
                     const float* __restrict weight_roots, int64_t bins, float frame_energy, bool magnitude,
                     bool use_log, float limit) {
  // Log values at Kaldi's floor (below log(FLT_EPSILON) + 0.95) are held to a 10x looser tolerance,
  // linear values below 1 to an absolute one; a log value whose energy stays below FLT_EPSILON even
  // with a generous error (10 eps |y| per FFT bin) is the floor for every FFT.
  const float floor_level = FLT_EPSILON * 2.585f;
  const float s = FLT_EPSILON * std::sqrt(frame_energy), bound = 10.0f * s;
  int flagged = 0;
  if (use_log && !magnitude) {  // the usual case, in a loop that vectorises (no sqrt)
    // high >= eps below <=> sqrt(e) + bound sqrt(w) >= sqrt(eps) <=> e >= t^2 or t <= 0.
    const float s2 = s * s, l2 = limit * limit, l2_floor = 100.0f * l2, root_eps = std::sqrt(FLT_EPSILON);
    for (int64_t b = 0; b < bins; ++b) {
      const float e = mel[b], w = weight_sums[b], t = root_eps - bound * weight_roots[b];
      const float l = e < floor_level ? l2_floor : l2;
      flagged |= static_cast<int>(s2 * w > l * e) & (static_cast<int>(t <= 0.0f) | static_cast<int>(e >= t * t));
    }
    return flagged != 0;
  }
  for (int64_t b = 0; b < bins; ++b) {
    const float e = mel[b], w = weight_sums[b];
    const float lim = use_log ? (e < floor_level ? 10.0f * limit : limit) : (e < 1.0f ? limit / e : limit);
    // power: s * sqrt(w / e) > lim, squared; magnitude: s * w / e > lim
    const bool rough = magnitude ? s * w > lim * e : s * s * w > lim * lim * e;
    const float high = magnitude ? e + bound * w : e + 2.0f * bound * std::sqrt(w * e) + w * bound * bound;
    flagged |= rough && !(use_log && high < FLT_EPSILON);
  }
  return flagged != 0;
}

AVTUNE_CLONES
void finish_row(const float* __restrict mel, int64_t bins, bool use_log, float shift, float div, float* __restrict out) {
  if (use_log && shift == 0.0f && div == 1.0f)
    for (int64_t b = 0; b < bins; ++b) out[b] = log_floored(mel[b]);
  else if (use_log)
    for (int64_t b = 0; b < bins; ++b) out[b] = (log_floored(mel[b]) - shift) / div;
  else
    for (int64_t b = 0; b < bins; ++b) out[b] = (mel[b] - shift) / div;
}

}  // namespace avtune::fbank_kernels
