#include "avtune/audio/fast_fbank.h"

#include <fftw3.h>
#include <fmt/format.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "avtune/util/error.h"

namespace avtune {

namespace {

constexpr float kEpsilon = FLT_EPSILON;  // Kaldi's floor before the log
constexpr int kPanel = 8;                // mel filters computed together (one AVX register)
// Eight floats: one AVX register, two SSE ones (GCC/Clang vector extension: no intrinsics to port).
typedef float Vec8 __attribute__((vector_size(32)));
constexpr double kPi = 3.14159265358979323846;

// Runtime dispatch: the frame kernel is compiled for AVX-512, AVX2+FMA and baseline x86-64, and the
// loader picks the best the CPU has (the build itself targets baseline x86-64).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define AVTUNE_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define AVTUNE_SIMD_CLONES
#endif

struct FftwFree {
  void operator()(float* p) const { fftwf_free(p); }
};
using AlignedFloats = std::unique_ptr<float[], FftwFree>;
AlignedFloats aligned_floats(int64_t n) {
  auto* p = static_cast<float*>(fftwf_malloc(sizeof(float) * static_cast<size_t>(n)));
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, sizeof(float) * static_cast<size_t>(n));
  return AlignedFloats(p);
}

// Everything that depends only on the options, made once per option set and shared by all threads.
struct Tables {
  int64_t window = 0, shift = 0, fft = 0, half = 0, bins = 0;
  std::vector<float> win;       // the window, kaldi_window's values
  std::vector<float> cos, sin;  // cos/sin(2 pi k / fft), k < half: the real-FFT split
  // Mel filters in panels of kPanel: panel p covers bins [lo[p], hi[p]), where any of its filters
  // is non-zero, with weights[offset[p] + bin - lo[p]][filter], kaldi_mel_banks's float32 values.
  std::vector<int64_t> lo, hi, offset;
  std::vector<Vec8> weights;
  fftwf_plan plan = nullptr;    // complex DFT of length half; shared, never destroyed
};

// FFTW's planner is not thread-safe (its execute functions are): plans are made under this mutex.
// FFTW_ESTIMATE, not a measured plan: a measured plan picks its algorithm by timing, so two processes
// could round differently and features would not be bit-identical across runs; it costs ~10%.
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

fftwf_plan plan_for(int64_t half) {  // called with planner_mutex held
  static std::map<int64_t, fftwf_plan> plans;
  auto it = plans.find(half);
  if (it != plans.end()) return it->second;
  // Planned on fftwf_malloc'd arrays, executed on fftwf_malloc'd scratch: same alignment, as the
  // new-array execute functions require.
  auto in = aligned_floats(2 * half), out = aligned_floats(2 * half);
  auto* in_c = reinterpret_cast<fftwf_complex*>(in.get());
  auto* out_c = reinterpret_cast<fftwf_complex*>(out.get());
  fftwf_plan p = fftwf_plan_dft_1d(static_cast<int>(half), in_c, out_c, FFTW_FORWARD, FFTW_ESTIMATE);
  if (!p) fail("fbank", "an FFTW plan", "none for length " + std::to_string(half));
  plans.emplace(half, p);
  return p;
}

std::unique_ptr<Tables> make_tables(const FbankOptions& o) {
  const FrameGeometry g = fbank_geometry(o);  // validates every option; throws as kaldi_fbank does
  auto t = std::make_unique<Tables>();
  t->window = g.window_size;
  t->shift = g.window_shift;
  t->fft = g.padded_window_size;
  t->half = t->fft / 2;
  t->bins = o.num_mel_bins;
  const auto win = kaldi_window(o.window_type, t->window, o.blackman_coeff).contiguous();
  t->win.assign(win.data_ptr<float>(), win.data_ptr<float>() + t->window);
  for (int64_t k = 0; k < t->half; ++k) {
    const double a = 2.0 * kPi * static_cast<double>(k) / static_cast<double>(t->fft);
    t->cos.push_back(static_cast<float>(std::cos(a)));
    t->sin.push_back(static_cast<float>(std::sin(a)));
  }
  const auto banks = kaldi_mel_banks(o.num_mel_bins, t->fft, o.sample_frequency, o.low_freq, o.high_freq).contiguous();
  const auto acc = banks.accessor<float, 2>();
  for (int64_t first = 0; first < t->bins; first += kPanel) {
    const int64_t last = std::min(first + kPanel, t->bins);
    int64_t lo = t->half, hi = 0;
    for (int64_t f = first; f < last; ++f)
      for (int64_t i = 0; i < t->half; ++i)
        if (acc[f][i] != 0.0f) lo = std::min(lo, i), hi = std::max(hi, i + 1);
    if (hi <= lo) lo = hi = 0;  // filters narrower than a bin may cover none: they output 0
    t->lo.push_back(lo);
    t->hi.push_back(hi);
    t->offset.push_back(static_cast<int64_t>(t->weights.size()));
    for (int64_t i = lo; i < hi; ++i) {
      Vec8 w = {};
      for (int64_t f = first; f < last; ++f) w[f - first] = acc[f][i];
      t->weights.push_back(w);
    }
  }
  std::lock_guard<std::mutex> lock(planner_mutex());
  t->plan = plan_for(t->half);
  return t;
}

const Tables& tables_for(const FbankOptions& o) {
  // Every option fbank_geometry validates or the tables depend on: a key seen before was valid.
  const std::string key = fmt::format(
      "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", o.sample_frequency, o.frame_length, o.frame_shift,
      o.round_to_power_of_two, o.preemphasis_coefficient, o.num_mel_bins, o.energy_floor, o.vtln_warp, o.window_type,
      o.blackman_coeff, o.low_freq, o.high_freq);
  thread_local std::string last_key;
  thread_local const Tables* last = nullptr;
  if (last && key == last_key) return *last;
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<Tables>> all;
  std::unique_lock<std::mutex> lock(mu);
  auto it = all.find(key);
  if (it == all.end()) {
    lock.unlock();  // building takes a while and may throw; a racing thread builds the same tables
    auto t = make_tables(o);
    lock.lock();
    it = all.emplace(key, std::move(t)).first;
  }
  last_key = key;
  last = it->second.get();
  return *last;
}

// Per-thread buffers, FFTW-aligned, grown to the largest geometry seen.
struct Scratch {
  int64_t fft = 0, window = 0;
  AlignedFloats frame, spectrum, samples, power, re, im;
  void fit(const Tables& t) {
    if (t.fft <= fft && t.window <= window) return;
    fft = std::max(fft, t.fft);
    window = std::max(window, t.window);
    frame = aligned_floats(fft + 2);
    spectrum = aligned_floats(fft + 2);
    samples = aligned_floats(window);
    power = aligned_floats(fft / 2 + 1);
    re = aligned_floats(fft / 2 + 1);
    im = aligned_floats(fft / 2 + 1);
  }
};

struct FrameParams {
  bool snip_edges = true, remove_dc = true, raw_energy = true, use_energy = false, use_power = true, use_log = true;
  float preemphasis = 0.97f;
  double log_energy_floor = 0;  // applied when energy_floor > 0
  bool energy_floor = true;
  int64_t energy_col = -1, mel_col = 0;  // output columns
  float shift = 0.0f, div = 1.0f;        // each output value v becomes (v - shift) / div
};

// log(max(v, FLT_EPSILON)) by Cephes' logf (relative error < 1e-7), in integer selects and bit masks
// so that the log of a row vectorises; NaN and infinity pass through as in std::log.
inline float log_floored(float v) {
  int32_t bits = __builtin_bit_cast(int32_t, v);
  const int32_t eps_bits = __builtin_bit_cast(int32_t, kEpsilon);
  bits = bits < eps_bits ? eps_bits : bits;  // as float max for v >= 0 (and NaN kept); negatives too
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

// Sum (of squares) in eight partial sums, so that it vectorises without reassociation flags.
inline float sum_of(const float* x, int64_t n, bool squares) {
  Vec8 acc = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    Vec8 v;
    std::memcpy(&v, x + i, sizeof v);
    acc += squares ? v * v : v;
  }
  float s = 0.0f;
  for (; i < n; ++i) s += squares ? x[i] * x[i] : x[i];
  for (int l = 0; l < 8; ++l) s += acc[l];
  return s;
}

// Frames [f0, f1) of `wave` (n samples; `noise` [frames, window] or null) into rows of `out`.
AVTUNE_SIMD_CLONES
void run_frames(const Tables& t, const FrameParams& p, const float* wave, int64_t n, const float* noise, int64_t f0,
                int64_t f1, float* out, int64_t out_stride, Scratch& s) {
  const int64_t W = t.window, half = t.half;
  float* __restrict x = s.samples.get();
  float* __restrict y = s.frame.get();
  float* __restrict z = s.spectrum.get();
  float* __restrict pw = s.power.get();
  float* __restrict re = s.re.get();
  float* __restrict im = s.im.get();
  const float* __restrict win = t.win.data();
  const float* __restrict cs = t.cos.data();
  const float* __restrict sn = t.sin.data();
  const float c = p.preemphasis;
  for (int64_t f = f0; f < f1; ++f) {
    // The frame's samples (Kaldi's mirrored edges without snip_edges), plus the dither noise.
    const int64_t start = p.snip_edges ? f * t.shift : f * t.shift + t.shift / 2 - W / 2;
    if (start >= 0 && start + W <= n) {
      std::memcpy(x, wave + start, sizeof(float) * static_cast<size_t>(W));
    } else {
      for (int64_t i = 0; i < W; ++i) {
        int64_t j = start + i;
        j = j < 0 ? -j - 1 : (j >= n ? 2 * n - 1 - j : j);
        x[i] = wave[j];
      }
    }
    if (noise)
      for (int64_t i = 0; i < W; ++i) x[i] += noise[f * W + i];
    if (p.remove_dc) {
      const float mean = sum_of(x, W, false) / static_cast<float>(W);
      for (int64_t i = 0; i < W; ++i) x[i] -= mean;
    }
    float energy = 0.0f;
    if (p.use_energy && p.raw_energy) energy = sum_of(x, W, true);
    // Pre-emphasis (x[-1] = x[0]) and window, zero-padded to the FFT length.
    y[0] = (x[0] - c * x[0]) * win[0];
    for (int64_t i = 1; i < W; ++i) y[i] = (x[i] - c * x[i - 1]) * win[i];
    for (int64_t i = W; i < t.fft; ++i) y[i] = 0.0f;
    if (p.use_energy && !p.raw_energy) energy = sum_of(y, W, true);

    // Real FFT of length fft as a complex FFT of length half on (even, odd) sample pairs, then
    // split: X[k] = (A + B)/2 - i e^{-2 pi i k/fft} (A - B)/2 with A = Z[k], B = conj(Z[half-k]).
    fftwf_execute_dft(t.plan, reinterpret_cast<fftwf_complex*>(y), reinterpret_cast<fftwf_complex*>(z));
    for (int64_t k = 0; k < half; ++k) re[k] = z[2 * k], im[k] = z[2 * k + 1];
    re[half] = re[0];
    im[half] = im[0];
    for (int64_t k = 0; k < half; ++k) {
      const float ar = re[k], ai = im[k], br = re[half - k], bi = -im[half - k];
      const float sr = ar + br, si = ai + bi, dr = ar - br, di = ai - bi;
      const float xr = sr + cs[k] * di - sn[k] * dr, xi = si - cs[k] * dr - sn[k] * di;
      pw[k] = 0.25f * (xr * xr + xi * xi);
    }
    if (!p.use_power)
      for (int64_t k = 0; k < half; ++k) pw[k] = std::sqrt(pw[k]);

    // Mel filters, each panel over the bins where its filters are non-zero.
    float* __restrict row = out + (f - f0) * out_stride;
    float* __restrict mel = row + p.mel_col;
    const int64_t panels = static_cast<int64_t>(t.lo.size());
    for (int64_t q = 0; q < panels; ++q) {
      Vec8 acc = {};
      const Vec8* w = t.weights.data() + t.offset[q];
      for (int64_t i = t.lo[q]; i < t.hi[q]; ++i, ++w) acc += *w * pw[i];
      const int64_t first = q * kPanel, count = std::min<int64_t>(kPanel, t.bins - first);
      for (int64_t l = 0; l < count; ++l) mel[first + l] = acc[l];
    }
    if (p.use_log)
      for (int64_t b = 0; b < t.bins; ++b) mel[b] = log_floored(mel[b]);
    if (p.use_energy) {
      double e = std::log(std::max(energy, kEpsilon));
      if (p.energy_floor) e = std::max(e, p.log_energy_floor);
      row[p.energy_col] = static_cast<float>(e);
    }
    if (p.shift != 0.0f || p.div != 1.0f) {
      const int64_t cols = t.bins + (p.use_energy ? 1 : 0);
      for (int64_t b = 0; b < cols; ++b) row[b] = (row[b] - p.shift) / p.div;
    }
  }
}

FrameParams params_of(const FbankOptions& o, const Tables& t) {
  FrameParams p;
  p.snip_edges = o.snip_edges;
  p.remove_dc = o.remove_dc_offset;
  p.raw_energy = o.raw_energy;
  p.use_energy = o.use_energy;
  p.use_power = o.use_power;
  p.use_log = o.use_log_fbank;
  p.preemphasis = static_cast<float>(o.preemphasis_coefficient);
  p.energy_floor = o.energy_floor != 0.0;
  p.log_energy_floor = p.energy_floor ? static_cast<double>(static_cast<float>(std::log(o.energy_floor))) : 0.0;
  p.energy_col = o.use_energy ? (o.htk_compat ? t.bins : 0) : -1;
  p.mel_col = o.use_energy && !o.htk_compat ? 1 : 0;
  return p;
}

int64_t frames_of(int64_t n, const Tables& t, const FbankOptions& o) {
  if (n < o.min_duration * o.sample_frequency) return 0;
  if (o.snip_edges) return 1 + (n - t.window) / t.shift;
  return (n + t.shift / 2) / t.shift;
}

void require_one_window(int64_t n, const Tables& t) {
  if (t.window > n)
    fail("fbank", "a waveform at least one window long (" + std::to_string(t.window) + " samples)",
         std::to_string(n) + " samples");
}

thread_local Scratch scratch;

}  // namespace

torch::Tensor fast_fbank(const torch::Tensor& wave_in, const FbankOptions& o, c10::optional<at::Generator> generator) {
  if (wave_in.defined() && !wave_in.device().is_cpu()) return kaldi_fbank(wave_in, o, generator);
  const Tables& t = tables_for(o);
  const int64_t cols = o.num_mel_bins + (o.use_energy ? 1 : 0);
  if (!wave_in.defined() || wave_in.dim() != 1)
    fail("fbank", "a 1-D waveform (mix or pick a channel first)",
         wave_in.defined() ? "shape " + c10::str(wave_in.sizes()) : "an undefined tensor");
  if (!wave_in.is_floating_point()) fail("fbank", "floating-point samples", c10::toString(wave_in.scalar_type()));
  const auto wave = wave_in.to(torch::kFloat).contiguous();
  const int64_t n = wave.size(0);
  require_one_window(n, t);
  const int64_t m = frames_of(n, t, o);
  auto out = torch::empty({m, cols}, wave.options());
  if (m == 0) return out;
  // kaldi_fbank's noise: the same draws, in the same shape, scaled in float32 as it scales them.
  torch::Tensor noise;
  if (o.dither != 0.0) noise = (torch::randn({m, t.window}, generator, wave.options()) * o.dither).contiguous();
  scratch.fit(t);
  run_frames(t, params_of(o, t), wave.data_ptr<float>(), n, noise.defined() ? noise.data_ptr<float>() : nullptr, 0, m,
             out.data_ptr<float>(), cols, scratch);
  if (o.subtract_mean) out -= out.mean(0, /*keepdim=*/true);
  return out;
}

int64_t fast_fbank_into(const float* wave, int64_t n, const FbankOptions& o, int64_t max_frames, float* out,
                        int64_t out_stride, float shift, float div) {
  const Tables& t = tables_for(o);
  if (o.subtract_mean || o.dither != 0.0)
    fail("fbank", "options without subtract_mean and dither for fast_fbank_into (use fast_fbank)",
         o.subtract_mean ? "subtract_mean" : "dither");
  const int64_t cols = o.num_mel_bins + (o.use_energy ? 1 : 0);
  if (out_stride < cols) fail("fbank", "an output row stride of at least " + std::to_string(cols), std::to_string(out_stride));
  require_one_window(n, t);
  const int64_t m = std::min(frames_of(n, t, o), std::max<int64_t>(max_frames, 0));
  if (m == 0) return 0;
  FrameParams p = params_of(o, t);
  p.shift = shift;
  p.div = div;
  scratch.fit(t);
  run_frames(t, p, wave, n, nullptr, 0, m, out, out_stride, scratch);
  return m;
}

}  // namespace avtune
