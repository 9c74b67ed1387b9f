#include "fbank_kernels.h"

#include <cfloat>
#include <cmath>
#include <cstring>

namespace avtune::fbank_kernels {

namespace {

// Runtime dispatch through GCC's function multi-versioning (ifunc): AVX-512, AVX2+FMA or baseline.
// The frame preparation gets AVX2 without FMA: a fused multiply-add rounds once where kaldi_fbank
// rounds twice, and the closer the frames are to kaldi_fbank's, the fewer need the exact path.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define AVTUNE_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define AVTUNE_CLONES_NO_FMA __attribute__((target_clones("avx2", "default")))
#else
#define AVTUNE_CLONES
#define AVTUNE_CLONES_NO_FMA
#endif

// Eight floats: one AVX register, two SSE ones (a GCC/Clang vector extension: nothing to port).
// Vec8 values never cross a call that is not inlined, so the baseline ABI warning does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float Vec8 __attribute__((vector_size(32)));

inline Vec8 load8(const float* p) {
  Vec8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Sum (of squares) of x - mean in 16 partial sums: vectorised without reassociation flags.
inline float sum_of(const float* x, int64_t n, float mean, bool squares) {
  Vec8 a = {}, b = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const Vec8 u = load8(x + i) - mean, v = load8(x + i + 8) - mean;
    a += squares ? u * u : u;
    b += squares ? v * v : v;
  }
  a += b;
  float s = 0.0f;
  for (; i < n; ++i) s += squares ? (x[i] - mean) * (x[i] - mean) : x[i] - mean;
  for (int l = 0; l < 8; ++l) s += a[l];
  return s;
}

// log(max(v, FLT_EPSILON)) by Cephes' logf (relative error < 1e-7), written with integer selects
// and bit masks so that a row of them vectorises; NaN and infinity pass through as std::log's.
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
  float y = 7.0376836292e-2f;
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z;
  const float fe = static_cast<float>(e);
  y += -2.12194440e-4f * fe - 0.5f * z;
  const float r = m + y + 0.693359375f * fe;
  return __builtin_bit_cast(float, (__builtin_bit_cast(int32_t, r) & finite) | (bits & ~finite));
}

}  // namespace

AVTUNE_CLONES_NO_FMA
FrameEnergy prepare_frame(const float* __restrict x, int64_t window, int64_t fft, const float* __restrict win,
                          float c, bool remove_dc, bool raw_energy, float* __restrict y) {
  FrameEnergy e;
  const float mean = remove_dc ? sum_of(x, window, 0.0f, false) / static_cast<float>(window) : 0.0f;
  if (raw_energy) e.raw = sum_of(x, window, mean, true);
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
  for (int64_t j = window; j < fft; ++j) y[j] = 0.0f;
  return e;
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

AVTUNE_CLONES
bool ill_conditioned(const float* __restrict mel, const float* __restrict weight_sums, int64_t bins,
                     float frame_energy, bool magnitude, bool use_log, float limit) {
  // Log values at Kaldi's floor (below log(FLT_EPSILON) + 0.95) are held to a 10x looser tolerance,
  // linear values below 1 to an absolute one; a log value whose energy stays below FLT_EPSILON even
  // with a generous error (10 eps |y| per FFT bin) is the floor for every FFT.
  const float floor_level = FLT_EPSILON * 2.585f;
  const float s = FLT_EPSILON * std::sqrt(frame_energy), bound = 10.0f * s;
  int flagged = 0;
  if (use_log && !magnitude) {  // the usual case, in a loop that vectorises
    const float s2 = s * s, l2 = limit * limit, l2_floor = 100.0f * l2, b2 = bound * bound;
    for (int64_t b = 0; b < bins; ++b) {
      const float e = mel[b], w = weight_sums[b];
      const float l = e < floor_level ? l2_floor : l2;
      const float high = e + 2.0f * bound * std::sqrt(w * e) + w * b2;
      flagged |= static_cast<int>(s2 * w > l * e) & static_cast<int>(high >= FLT_EPSILON);
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
