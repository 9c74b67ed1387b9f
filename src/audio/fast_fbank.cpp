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
#include "fbank_kernels.h"

namespace avtune {

namespace {

namespace k = fbank_kernels;
constexpr double kPi = 3.14159265358979323846;
// Frames whose estimated float rounding (fbank_kernels::ill_conditioned) exceeds this are recomputed
// with kaldi_fbank's operations: below it, the fast path stayed within 4.3e-4 of torchaudio on the
// whole parity grid; above it, FFTW and torchaudio's FFT disagree by up to 1e-2 (docs/audio.md).
constexpr float kConditionLimit = 1.5e-4f;

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

// What depends only on the options: made once per option set, shared by every thread, never freed.
struct Tables {
  int64_t window = 0, shift = 0, fft = 0, half = 0, bins = 0;
  torch::Tensor win_tensor;     // kaldi_window, for the exact path
  std::vector<float> win;       // its values
  std::vector<float> cos, sin;  // cos/sin(2 pi k / fft), k < half
  std::vector<int64_t> lo, hi, offset;
  AlignedFloats weights;          // kaldi_mel_banks's float32 values in panels (fbank_kernels::MelPanels)
  std::vector<float> weight_sums;  // per filter
  fftwf_plan plan = nullptr;       // complex DFT of length half
  k::MelPanels panels() const { return {lo.data(), hi.data(), offset.data(), weights.get(), static_cast<int64_t>(lo.size())}; }
};

// FFTW's planner is not thread-safe (its execute functions are), so plans are made under this mutex,
// once per FFT length. FFTW_ESTIMATE, not a measured plan: a measured plan picks its algorithm by
// timing, so two processes could round differently and the features would not be bit-identical
// across runs; the estimated plan is ~20% slower on the FFT alone (docs/audio.md).
fftwf_plan plan_for(int64_t half) {
  static std::mutex mu;
  static std::map<int64_t, fftwf_plan> plans;
  std::lock_guard<std::mutex> lock(mu);
  auto it = plans.find(half);
  if (it != plans.end()) return it->second;
  // Planned on fftwf_malloc'd arrays and executed on fftwf_malloc'd scratch: the same alignment, as
  // the new-array execute function requires.
  auto in = aligned_floats(2 * half), out = aligned_floats(2 * half);
  fftwf_plan p = fftwf_plan_dft_1d(static_cast<int>(half), reinterpret_cast<fftwf_complex*>(in.get()),
                                   reinterpret_cast<fftwf_complex*>(out.get()), FFTW_FORWARD, FFTW_ESTIMATE);
  if (!p) fail("fbank", "an FFTW plan", "none for length " + std::to_string(half));
  plans.emplace(half, p);
  return p;
}

std::unique_ptr<Tables> make_tables(const FbankOptions& o) {
  const FrameGeometry g = fbank_geometry(o);  // validates every option, with kaldi_fbank's errors
  auto t = std::make_unique<Tables>();
  t->window = g.window_size;
  t->shift = g.window_shift;
  t->fft = g.padded_window_size;
  t->half = t->fft / 2;
  t->bins = o.num_mel_bins;
  t->win_tensor = kaldi_window(o.window_type, t->window, o.blackman_coeff).contiguous();
  t->win.assign(t->win_tensor.data_ptr<float>(), t->win_tensor.data_ptr<float>() + t->window);
  for (int64_t i = 0; i < t->half; ++i) {
    const double a = 2.0 * kPi * static_cast<double>(i) / static_cast<double>(t->fft);
    t->cos.push_back(static_cast<float>(std::cos(a)));
    t->sin.push_back(static_cast<float>(std::sin(a)));
  }
  const auto banks = kaldi_mel_banks(o.num_mel_bins, t->fft, o.sample_frequency, o.low_freq, o.high_freq).contiguous();
  const auto b = banks.accessor<float, 2>();
  std::vector<float> weights;
  for (int64_t first = 0; first < t->bins; first += k::kPanel) {
    const int64_t last = std::min<int64_t>(first + k::kPanel, t->bins);
    int64_t lo = t->half, hi = 0;
    for (int64_t f = first; f < last; ++f)
      for (int64_t i = 0; i < t->half; ++i)  // the Nyquist bin has no weight
        if (b[f][i] != 0.0f) lo = std::min(lo, i), hi = std::max(hi, i + 1);
    if (hi <= lo) lo = hi = 0;  // filters narrower than a bin may cover none: they give 0
    t->lo.push_back(lo);
    t->hi.push_back(hi);
    t->offset.push_back(static_cast<int64_t>(weights.size()) / k::kPanel);
    for (int64_t i = lo; i < hi; ++i)
      for (int64_t f = first; f < first + k::kPanel; ++f) weights.push_back(f < last ? b[f][i] : 0.0f);
  }
  t->weights = aligned_floats(static_cast<int64_t>(weights.size()) + 1);
  std::copy(weights.begin(), weights.end(), t->weights.get());
  for (int64_t f = 0; f < t->bins; ++f) t->weight_sums.push_back(banks[f].sum().item<float>());
  t->plan = plan_for(t->half);
  return t;
}

const Tables& tables_for(const FbankOptions& o) {
  // Every option fbank_geometry validates or the tables depend on: a key seen before was valid.
  const std::string key = fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", o.sample_frequency, o.frame_length,
                                      o.frame_shift, o.round_to_power_of_two, o.preemphasis_coefficient,
                                      o.num_mel_bins, o.energy_floor, o.vtln_warp, o.window_type, o.blackman_coeff,
                                      o.low_freq, o.high_freq);
  thread_local std::string last_key;
  thread_local const Tables* last = nullptr;
  if (last && key == last_key) return *last;
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<Tables>> all;
  std::unique_lock<std::mutex> lock(mu);
  auto it = all.find(key);
  if (it == all.end()) {
    lock.unlock();  // building may throw (bad options) and takes a while; a racing thread builds the same
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
  int64_t fft = 0, window = 0, bins = 0;
  AlignedFloats x, y, z, re, im, power, mel;
  void fit(const Tables& t) {
    if (t.fft <= fft && t.window <= window && t.bins <= bins) return;
    fft = std::max(fft, t.fft);
    window = std::max(window, t.window);
    bins = std::max(bins, t.bins);
    x = aligned_floats(window);
    y = aligned_floats(fft + 2);
    z = aligned_floats(fft + 2);
    re = aligned_floats(fft / 2 + 1);
    im = aligned_floats(fft / 2 + 1);
    power = aligned_floats(fft / 2 + 1);
    mel = aligned_floats(bins + k::kPanel);
  }
};
thread_local Scratch scratch;

// One call's settings: where rows go and how they are finished.
struct Job {
  const Tables* t = nullptr;
  const FbankOptions* o = nullptr;
  const float* wave = nullptr;
  int64_t n = 0;
  const float* noise = nullptr;  // [frames, window] or null
  float* out = nullptr;
  int64_t stride = 0;
  float shift = 0.0f, div = 1.0f;  // each value v is stored as (v - shift) / div
};

void store_energy(const Job& j, float energy, float* row) {
  double e = std::log(std::max(energy, FLT_EPSILON));
  if (j.o->energy_floor != 0.0) e = std::max(e, static_cast<double>(static_cast<float>(std::log(j.o->energy_floor))));
  row[j.o->htk_compat ? j.t->bins : 0] = (static_cast<float>(e) - j.shift) / j.div;
}

// Frames [0, m) in one pass each; returns the ill-conditioned ones (their rows are written anyway).
std::vector<int64_t> run_frames(const Job& j, int64_t m) {
  const Tables& t = *j.t;
  const FbankOptions& o = *j.o;
  scratch.fit(t);
  Scratch& s = scratch;
  const int64_t W = t.window, mel_col = o.use_energy && !o.htk_compat ? 1 : 0;
  const auto panels = t.panels();
  const auto c = static_cast<float>(o.preemphasis_coefficient);
  std::vector<int64_t> flagged;
  for (int64_t f = 0; f < m; ++f) {
    // The frame's samples, in place, or copied where Kaldi's mirrored edges or the dither apply.
    const int64_t start = o.snip_edges ? f * t.shift : f * t.shift + t.shift / 2 - W / 2;
    const float* src = j.wave + start;
    if (start < 0 || start + W > j.n || j.noise) {
      for (int64_t i = 0; i < W; ++i) {
        int64_t p = start + i;
        p = p < 0 ? -p - 1 : (p >= j.n ? 2 * j.n - 1 - p : p);
        s.x[i] = j.wave[p] + (j.noise ? j.noise[f * W + i] : 0.0f);
      }
      src = s.x.get();
    }
    const auto e = k::prepare_frame(src, W, t.fft, t.win.data(), c, o.remove_dc_offset, o.use_energy && o.raw_energy, s.y.get());
    fftwf_execute_dft(t.plan, reinterpret_cast<fftwf_complex*>(s.y.get()), reinterpret_cast<fftwf_complex*>(s.z.get()));
    k::split_power(s.z.get(), t.half, t.cos.data(), t.sin.data(), !o.use_power, s.re.get(), s.im.get(), s.power.get());
    k::mel_energies(s.power.get(), panels, s.mel.get());
    if (k::ill_conditioned(s.mel.get(), t.weight_sums.data(), t.bins, e.windowed, !o.use_power, o.use_log_fbank,
                           kConditionLimit))
      flagged.push_back(f);
    float* row = j.out + f * j.stride;
    k::finish_row(s.mel.get(), t.bins, o.use_log_fbank, j.shift, j.div, row + mel_col);
    if (o.use_energy) store_energy(j, o.raw_energy ? e.raw : e.windowed, row);
  }
  return flagged;
}

// The ill-conditioned frames again, through kaldi_fbank's ATen operations up to the spectrum (the
// same float rounding as torchaudio: what parity needs there), then the same mel and log.
void redo_exactly(const Job& j, const std::vector<int64_t>& rows, const torch::Tensor& noise) {
  const Tables& t = *j.t;
  const FbankOptions& o = *j.o;
  const auto wave = torch::from_blob(const_cast<float*>(j.wave), {j.n}, torch::kFloat);
  const auto idx = torch::tensor(rows);
  torch::Tensor frames;
  if (o.snip_edges) {
    frames = wave.unfold(0, t.window, t.shift).index_select(0, idx);
  } else {  // kaldi_fbank's mirrored layout (fbank.cpp, frame_signal)
    auto p = idx.mul(t.shift).add(t.shift / 2 - t.window / 2).unsqueeze(1) +
             torch::arange(t.window, torch::kLong).unsqueeze(0);
    p = torch::where(p < 0, -p - 1, p);
    p = torch::where(p >= j.n, 2 * j.n - 1 - p, p);
    frames = wave.take(p);
  }
  if (noise.defined()) frames = frames + noise.index_select(0, idx);
  if (o.remove_dc_offset) frames = frames - frames.mean(1, /*keepdim=*/true);
  if (o.preemphasis_coefficient != 0.0) {
    auto previous = torch::cat({frames.slice(1, 0, 1), frames.slice(1, 0, -1)}, 1);
    frames = frames - previous * o.preemphasis_coefficient;
  }
  frames = frames * t.win_tensor.unsqueeze(0);
  if (t.fft != t.window) frames = torch::constant_pad_nd(frames, {0, t.fft - t.window}, 0.0);
  auto spectrum = torch::fft::rfft(frames).abs();
  if (o.use_power) spectrum = spectrum.pow(2.0);
  spectrum = spectrum.contiguous();
  const float* spec = spectrum.data_ptr<float>();
  scratch.fit(t);
  const int64_t mel_col = o.use_energy && !o.htk_compat ? 1 : 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    k::mel_energies(spec + static_cast<int64_t>(r) * spectrum.size(1), t.panels(), scratch.mel.get());
    k::finish_row(scratch.mel.get(), t.bins, o.use_log_fbank, j.shift, j.div, j.out + rows[r] * j.stride + mel_col);
  }
}

int64_t frames_of(int64_t n, const Tables& t, const FbankOptions& o) {
  if (t.window > n)
    fail("fbank", "a waveform at least one window long (" + std::to_string(t.window) + " samples)",
         std::to_string(n) + " samples");
  if (n < o.min_duration * o.sample_frequency) return 0;
  if (o.snip_edges) return 1 + (n - t.window) / t.shift;
  return (n + t.shift / 2) / t.shift;
}

}  // namespace

torch::Tensor fast_fbank(const torch::Tensor& wave_in, const FbankOptions& o, c10::optional<at::Generator> generator) {
  if (wave_in.defined() && !wave_in.device().is_cpu()) return kaldi_fbank(wave_in, o, generator);
  Job j;
  j.t = &tables_for(o);
  j.o = &o;
  const int64_t cols = o.num_mel_bins + (o.use_energy ? 1 : 0);
  if (!wave_in.defined() || wave_in.dim() != 1)
    fail("fbank", "a 1-D waveform (mix or pick a channel first)",
         wave_in.defined() ? "shape " + c10::str(wave_in.sizes()) : "an undefined tensor");
  if (!wave_in.is_floating_point()) fail("fbank", "floating-point samples", c10::toString(wave_in.scalar_type()));
  const auto wave = wave_in.to(torch::kFloat).contiguous();
  j.wave = wave.data_ptr<float>();
  j.n = wave.size(0);
  const int64_t m = frames_of(j.n, *j.t, o);
  auto out = torch::empty({m, cols}, wave.options());
  if (m == 0) return out;
  // kaldi_fbank's noise: the same draws in the same shape, scaled in float32 as it scales them.
  torch::Tensor noise;
  if (o.dither != 0.0) {
    noise = (torch::randn({m, j.t->window}, generator, wave.options()) * o.dither).contiguous();
    j.noise = noise.data_ptr<float>();
  }
  j.out = out.data_ptr<float>();
  j.stride = cols;
  const auto flagged = run_frames(j, m);
  if (!flagged.empty()) redo_exactly(j, flagged, noise);
  if (o.subtract_mean) out -= out.mean(0, /*keepdim=*/true);
  return out;
}

int64_t fast_fbank_into(const float* wave, int64_t n, const FbankOptions& o, int64_t max_frames, float* out,
                        int64_t out_stride, float shift, float div) {
  Job j;
  j.t = &tables_for(o);
  j.o = &o;
  if (o.subtract_mean || o.dither != 0.0)
    fail("fbank", "options without subtract_mean and dither for fast_fbank_into (use fast_fbank)",
         o.subtract_mean ? "subtract_mean" : "dither");
  const int64_t cols = o.num_mel_bins + (o.use_energy ? 1 : 0);
  if (out_stride < cols) fail("fbank", "an output row stride of at least " + std::to_string(cols), std::to_string(out_stride));
  j.wave = wave;
  j.n = n;
  const int64_t m = std::min(frames_of(n, *j.t, o), std::max<int64_t>(max_frames, 0));
  if (m == 0) return 0;
  j.out = out;
  j.stride = out_stride;
  j.shift = shift;
  j.div = div;
  const auto flagged = run_frames(j, m);
  if (!flagged.empty()) redo_exactly(j, flagged, torch::Tensor());
  return m;
}

}  // namespace avtune
