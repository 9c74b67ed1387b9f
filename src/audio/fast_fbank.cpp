#include "avtune/audio/fast_fbank.h"

#include <fftw3.h>
#include <fmt/format.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
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
  std::vector<float> win;       // kaldi_window's values
  std::vector<float> cos, sin;  // cos/sin(2 pi k / fft), k < half
  std::vector<int64_t> lo, hi, offset;
  AlignedFloats weights;          // kaldi_mel_banks's float32 values in panels (fbank_kernels::MelPanels)
  std::vector<float> weight_sums, weight_roots;  // per filter, and their square roots
  fftwf_plan plan = nullptr;       // complex DFT of length half
  // Blocks of frames in SIMD lanes after the FFT (run_blocks), where fft is a power of two >= 16.
  bool lanes = false;
  std::vector<int64_t> flo, fhi, foff;    // each filter's bins [flo, fhi) and their weights at foff,
  std::vector<float> fweights[2];         // times 1/4 for power, 1/2 for magnitude (split_lanes)
  k::MelFilters filters(bool magnitude) const {
    return {flo.data(), fhi.data(), foff.data(), fweights[magnitude].data(), bins};
  }
  k::MelPanels panels() const { return {lo.data(), hi.data(), offset.data(), weights.get(), static_cast<int64_t>(lo.size())}; }
};

// FFTW's plans for the complex DFTs of 128, 256, 512 and 1024 points (the 8-32 kHz paper geometries),
// as FFTW's wisdom: chosen once by FFTW_PATIENT on the AMD EPYC of docs/performance.md and written
// here, so every process rebuilds the very same plans without timing anything (the same bits in
// every run, as with FFTW_ESTIMATE) and the DFT takes ~15% less time than the estimated plan. Where
// the wisdom does not apply (another FFTW version, a processor without AVX, other lengths), the
// estimated plan.
constexpr const char* kWisdom =
    "(fftw-3.3.10 fftwf_wisdom #x9e7d4dee #xdb14fed1 #x34bf76a4 #xeb6e8fdf\n"
    "  (fftwf_codelet_n2fv_8_avx 0 #x11048 #x11048 #x0 #x6af30f58 #x888f2b57 #xe7e2a33a #x9ba6b982)\n"
    "  (fftwf_codelet_n2fv_64_avx 0 #x11048 #x11048 #x0 #x03406dff #xc8fa0a2c #x62a9a61e #xa394d874)\n"
    "  (fftwf_codelet_n2fv_16_avx 0 #x11048 #x11048 #x0 #xf246dd1d #x433be1dd #x669fbc87 #xe433ec82)\n"
    "  (fftwf_codelet_t2fv_16_avx 0 #x11048 #x11048 #x0 #x8f86ac3f #x7cc3d8db #xc7865ecc #xea8b825e)\n"
    "  (fftwf_codelet_t2fv_4_avx 0 #x11048 #x11048 #x0 #x2c50659a #x343a7df7 #xd727540d #xacfea1f9)\n"
    "  (fftwf_codelet_t2fv_8_avx 0 #x11048 #x11048 #x0 #xfeec02f8 #xbbf06357 #xb26e7a2b #xf7b9dcb8)\n"
    "  (fftwf_codelet_n2fv_64_avx 0 #x11048 #x11048 #x0 #x60f7dd6b #xe5962c71 #x960dc0f4 #x2fbec2ab)\n"
    "  (fftwf_codelet_t2fv_64_avx 0 #x11048 #x11048 #x0 #xc6ca45ce #xf08c5f4a #x61a53ade #xe5e374c8)\n"
    ")\n";

// FFTW's planner is not thread-safe (its execute functions are), so plans are made under this mutex,
// once per FFT length. Never a plan measured at run time: a measured plan picks its algorithm by
// timing, so two processes could round differently and the features would not be bit-identical.
fftwf_plan plan_for(int64_t half) {
  static std::mutex mu;
  // Never destroyed: the plans live as long as the process (a map freed at exit made them leaks to LSan).
  static auto& plans = *new std::map<int64_t, fftwf_plan>();
  std::lock_guard<std::mutex> lock(mu);
  static const bool wisdom = fftwf_import_wisdom_from_string(kWisdom) != 0;
  auto it = plans.find(half);
  if (it != plans.end()) return it->second;
  // Planned on fftwf_malloc'd arrays and executed on fftwf_malloc'd scratch: the same alignment, as
  // the new-array execute function requires.
  auto in = aligned_floats(2 * half), out = aligned_floats(2 * half);
  auto plan = [&](unsigned flags) {
    return fftwf_plan_dft_1d(static_cast<int>(half), reinterpret_cast<fftwf_complex*>(in.get()),
                             reinterpret_cast<fftwf_complex*>(out.get()), FFTW_FORWARD, flags);
  };
  fftwf_plan p = wisdom ? plan(FFTW_PATIENT | FFTW_WISDOM_ONLY) : nullptr;
  if (!p) p = plan(FFTW_ESTIMATE);
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
  const auto win = kaldi_window(o.window_type, t->window, o.blackman_coeff).contiguous();
  t->win.assign(win.data_ptr<float>(), win.data_ptr<float>() + t->window);
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
  for (float w : t->weight_sums) t->weight_roots.push_back(std::sqrt(w));
  t->lanes = t->fft >= 16 && (t->fft & (t->fft - 1)) == 0;
  if (t->lanes) {
    for (int64_t f = 0; f < t->bins; ++f) {
      int64_t lo = t->half, hi = 0;
      for (int64_t i = 0; i < t->half; ++i)
        if (b[f][i] != 0.0f) lo = std::min(lo, i), hi = std::max(hi, i + 1);
      if (hi <= lo) lo = hi = 0;
      t->flo.push_back(lo);
      t->fhi.push_back(hi);
      t->foff.push_back(static_cast<int64_t>(t->fweights[0].size()));
      for (int64_t i = lo; i < hi; ++i) t->fweights[0].push_back(0.25f * b[f][i]), t->fweights[1].push_back(0.5f * b[f][i]);
    }
  }
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
  AlignedFloats rows, spectra, lane_re, lane_im, lane_power, lane_mel, mel_rows;  // one block of frames
  int64_t mel_stride = 0;
  void fit(const Tables& t) {
    if (t.fft <= fft && t.window <= window && t.bins <= bins) return;
    fft = std::max(fft, t.fft);
    window = std::max(window, t.window);
    bins = std::max(bins, t.bins);
    mel_stride = (bins + 7) / 8 * 8;
    rows = aligned_floats(k::kLanes * fft);
    spectra = aligned_floats(k::kLanes * fft + 32);  // split_rows reads past the last row
    lane_re = aligned_floats((fft / 2 + 16) * k::kLanes);  // also split_rows's scratch
    lane_im = aligned_floats(fft / 2 * k::kLanes);
    lane_power = aligned_floats(fft / 2 * k::kLanes);
    lane_mel = aligned_floats(mel_stride * k::kLanes);
    mel_rows = aligned_floats(k::kLanes * mel_stride);
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
  FbankStage upto = FbankStage::kAll;  // fast_fbank_stages: where to stop
};

void store_energy(const Job& j, float energy, float* row) {
  double e = std::log(std::max(energy, FLT_EPSILON));
  if (j.o->energy_floor != 0.0) e = std::max(e, static_cast<double>(static_cast<float>(std::log(j.o->energy_floor))));
  row[j.o->htk_compat ? j.t->bins : 0] = (static_cast<float>(e) - j.shift) / j.div;
}

// Where frame f starts in the signal (before 0 or past the end at mirrored edges).
int64_t frame_start(const Job& j, int64_t f) {
  return j.o->snip_edges ? f * j.t->shift : f * j.t->shift + j.t->shift / 2 - j.t->window / 2;
}

// Frame f's samples, in place, or copied to scratch.x where Kaldi's mirrored edges or the dither apply.
const float* frame_samples(const Job& j, int64_t f) {
  const int64_t W = j.t->window, start = frame_start(j, f);
  if (start >= 0 && start + W <= j.n && !j.noise) return j.wave + start;
  for (int64_t i = 0; i < W; ++i) {
    int64_t p = start + i;
    p = p < 0 ? -p - 1 : (p >= j.n ? 2 * j.n - 1 - p : p);
    scratch.x[i] = j.wave[p] + (j.noise ? j.noise[f * W + i] : 0.0f);
  }
  return scratch.x.get();
}

// Frames [0, m) in blocks of kLanes (docs/audio.md): each frame prepared into its row and through
// FFTW's complex DFT of fft / 2 points, the block's spectra transposed into SIMD lanes for the split
// and the mel filters, back to rows for the conditioning check and the log. Returns the
// ill-conditioned frames.
std::vector<int64_t> run_blocks(const Job& j, int64_t m) {
  const Tables& t = *j.t;
  const FbankOptions& o = *j.o;
  Scratch& s = scratch;
  const int64_t W = t.window, mel_col = o.use_energy && !o.htk_compat ? 1 : 0;
  const auto filters = t.filters(!o.use_power);
  const auto c = static_cast<float>(o.preemphasis_coefficient);
  std::vector<int64_t> flagged;
  k::FrameEnergy e[k::kLanes];
  for (int64_t f0 = 0; f0 < m; f0 += k::kLanes) {
    const int64_t n = std::min<int64_t>(k::kLanes, m - f0);
    for (int64_t r = 0; r < n; ++r) {
      // The samples that the frame two ahead adds (a shift's worth), fetched while this one is
      // computed: otherwise each frame's first pass (its mean) waits for them (3% of the time).
      const int64_t ahead = frame_start(j, f0 + r + 2) + W - t.shift;
      for (int64_t p = std::max<int64_t>(ahead, 0); p < std::min(ahead + t.shift, j.n); p += 16) __builtin_prefetch(j.wave + p);
      float* row = s.rows.get() + r * t.fft;  // fft floats apart: fftwf_malloc's alignment, as planned
      e[r] = k::prepare_frame(frame_samples(j, f0 + r), W, t.fft, t.win.data(), c, o.remove_dc_offset,
                              o.use_energy && o.raw_energy, row);
      if (j.upto == FbankStage::kPrepare) continue;
      fftwf_execute_dft(t.plan, reinterpret_cast<fftwf_complex*>(row),
                        reinterpret_cast<fftwf_complex*>(s.spectra.get() + r * t.fft));
    }
    if (j.upto != FbankStage::kAll) continue;
    if (n < k::kLanes)
      std::memset(s.spectra.get() + n * t.fft, 0, sizeof(float) * static_cast<size_t>((k::kLanes - n) * t.fft));
    if (t.half % 32 == 0 && k::wide()) {
      k::split_rows(s.spectra.get(), t.fft, t.half, t.cos.data(), t.sin.data(), !o.use_power, s.lane_re.get(),
                    s.lane_power.get());
    } else {
      k::rows_to_lanes(s.spectra.get(), t.fft, t.fft, t.fft, s.lane_re.get(), s.lane_im.get());
      k::split_lanes(s.lane_re.get(), s.lane_im.get(), t.half, t.cos.data(), t.sin.data(), !o.use_power,
                     s.lane_power.get());
    }
    k::mel_lanes(s.lane_power.get(), filters, s.lane_mel.get());
    k::lanes_to_rows(s.lane_mel.get(), t.bins, s.mel_rows.get(), s.mel_stride);
    for (int64_t r = 0; r < n; ++r) {
      const float* mel = s.mel_rows.get() + r * s.mel_stride;
      if (k::ill_conditioned(mel, t.weight_sums.data(), t.weight_roots.data(), t.bins, e[r].windowed, !o.use_power, o.use_log_fbank,
                             kConditionLimit))
        flagged.push_back(f0 + r);
      float* row = j.out + (f0 + r) * j.stride;
      k::finish_row(mel, t.bins, o.use_log_fbank, j.shift, j.div, row + mel_col);
      if (o.use_energy) store_energy(j, o.raw_energy ? e[r].raw : e[r].windowed, row);
    }
  }
  return flagged;
}

// Frames [0, m) in one pass each; returns the ill-conditioned ones (their rows are written anyway).
std::vector<int64_t> run_frames(const Job& j, int64_t m) {
  const Tables& t = *j.t;
  const FbankOptions& o = *j.o;
  scratch.fit(t);
  if (t.lanes) return run_blocks(j, m);
  Scratch& s = scratch;
  const int64_t W = t.window, mel_col = o.use_energy && !o.htk_compat ? 1 : 0;
  const auto panels = t.panels();
  const auto c = static_cast<float>(o.preemphasis_coefficient);
  std::vector<int64_t> flagged;
  for (int64_t f = 0; f < m; ++f) {
    const float* src = frame_samples(j, f);
    const auto e = k::prepare_frame(src, W, t.fft, t.win.data(), c, o.remove_dc_offset, o.use_energy && o.raw_energy, s.y.get());
    if (j.upto == FbankStage::kPrepare) continue;
    fftwf_execute_dft(t.plan, reinterpret_cast<fftwf_complex*>(s.y.get()), reinterpret_cast<fftwf_complex*>(s.z.get()));
    if (j.upto != FbankStage::kAll) continue;
    k::split_power(s.z.get(), t.half, t.cos.data(), t.sin.data(), !o.use_power, s.re.get(), s.im.get(), s.power.get());
    k::mel_energies(s.power.get(), panels, s.mel.get());
    if (k::ill_conditioned(s.mel.get(), t.weight_sums.data(), t.weight_roots.data(), t.bins, e.windowed, !o.use_power, o.use_log_fbank,
                           kConditionLimit))
      flagged.push_back(f);
    float* row = j.out + f * j.stride;
    k::finish_row(s.mel.get(), t.bins, o.use_log_fbank, j.shift, j.div, row + mel_col);
    if (o.use_energy) store_energy(j, o.raw_energy ? e.raw : e.windowed, row);
  }
  return flagged;
}

// The ill-conditioned frames again, rounded as kaldi_fbank rounds them up to the spectrum (what
// parity needs there): its DC removal with ATen's mean (its summation order), then pre-emphasis and
// window as kaldi_fbank's elementwise float operations (prepare_frame without DC removal gives the
// same bits), and ATen's rfft; then the same power, mel and log.
void redo_exactly(const Job& j, const std::vector<int64_t>& rows) {
  const Tables& t = *j.t;
  const FbankOptions& o = *j.o;
  const auto r = static_cast<int64_t>(rows.size());
  const int64_t W = t.window;
  auto frames = torch::empty({r, W}, torch::kFloat);
  float* x = frames.data_ptr<float>();
  for (int64_t i = 0; i < r; ++i) std::memcpy(x + i * W, frame_samples(j, rows[static_cast<size_t>(i)]), sizeof(float) * W);
  if (o.remove_dc_offset) {
    const auto means = frames.mean(1).contiguous();
    const float* m = means.data_ptr<float>();
    for (int64_t i = 0; i < r; ++i)
      for (int64_t k = 0; k < W; ++k) x[i * W + k] -= m[i];
  }
  auto windowed = torch::empty({r, t.fft}, torch::kFloat);
  for (int64_t i = 0; i < r; ++i)
    k::prepare_frame(x + i * W, W, t.fft, t.win.data(), static_cast<float>(o.preemphasis_coefficient), false, false,
                     windowed.data_ptr<float>() + i * t.fft);
  // The power (or magnitude) from the rfft's real and imaginary parts here, not by ATen's abs and
  // pow: within an ulp of theirs (the rounding that matters here is the FFT's), and two tensor
  // operations fewer in a path whose cost is mostly their overhead (~3 us each).
  const auto spectrum = torch::view_as_real(torch::fft::rfft(windowed)).contiguous();
  const float* spec = spectrum.data_ptr<float>();
  scratch.fit(t);
  const int64_t mel_col = o.use_energy && !o.htk_compat ? 1 : 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    k::complex_power(spec + static_cast<int64_t>(r) * 2 * (t.half + 1), t.half, !o.use_power, scratch.power.get());
    k::mel_energies(scratch.power.get(), t.panels(), scratch.mel.get());
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

// fast_fbank_into, or its work up to a stage (fast_fbank_stages).
int64_t fast_fbank_partial(const float* wave, int64_t n, const FbankOptions& o, int64_t max_frames, float* out,
                           int64_t out_stride, float shift, float div, FbankStage upto) {
  Job j;
  j.upto = upto;
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
  if (!flagged.empty() && upto == FbankStage::kAll) redo_exactly(j, flagged);
  return m;
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
  if (!flagged.empty()) redo_exactly(j, flagged);
  if (o.subtract_mean) out -= out.mean(0, /*keepdim=*/true);
  return out;
}

int64_t fast_fbank_into(const float* wave, int64_t n, const FbankOptions& o, int64_t max_frames, float* out,
                        int64_t out_stride, float shift, float div) {
  return fast_fbank_partial(wave, n, o, max_frames, out, out_stride, shift, div, FbankStage::kAll);
}

int64_t fast_fbank_stages(const float* wave, int64_t n, const FbankOptions& o, FbankStage upto) {
  thread_local std::vector<float> rows;
  const int64_t cols = o.num_mel_bins + (o.use_energy ? 1 : 0);
  const int64_t m = upto == FbankStage::kAll ? frames_of(n, tables_for(o), o) : 0;
  if (static_cast<int64_t>(rows.size()) < m * cols) rows.resize(static_cast<size_t>(m * cols));
  return fast_fbank_partial(wave, n, o, std::numeric_limits<int64_t>::max(), rows.data(), cols, 0.0f, 1.0f, upto);
}

}  // namespace avtune
