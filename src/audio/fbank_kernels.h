#pragma once
// The per-frame arithmetic of fast_fbank (include/avtune/audio/fast_fbank.h), free of LibTorch and
// FFTW. Each function is compiled for several x86-64 levels and picked at run time (the build itself
// targets baseline x86-64); plain loops elsewhere.
#include <cstdint>

namespace avtune::fbank_kernels {

constexpr int kPanel = 8;  // mel filters computed together (one AVX register)

// Frame samples x[0, window) -> y[0, fft): DC removal (when remove_dc), pre-emphasis
// (x[-1] = x[0]) and window in kaldi_fbank's order of operations, zero-padded.
struct FrameEnergy {
  float raw = 0.0f;       // sum of squares after DC removal (when raw_energy)
  float windowed = 0.0f;  // sum of squares of y
};
FrameEnergy prepare_frame(const float* x, int64_t window, int64_t fft, const float* win, float preemphasis,
                          bool remove_dc, bool raw_energy, float* y);

// Power spectrum, bins [0, half), of a real frame of length 2 * half from z, the complex DFT of
// length half of its (even, odd) sample pairs (interleaved re, im); the magnitude when `magnitude`.
// cos/sin: cos and sin of 2 pi k / (2 half). re/im: scratch of half + 1 floats each.
void split_power(const float* z, int64_t half, const float* cos, const float* sin, bool magnitude, float* re,
                 float* im, float* power);
// The same from a real FFT's interleaved complex output, bins [0, half).
void complex_power(const float* x, int64_t half, bool magnitude, float* power);

// Mel filters stored in panels of kPanel: panel p covers bins [lo[p], hi[p]), where one of its
// filters is non-zero, with weights[(offset[p] + bin - lo[p]) * kPanel + filter].
struct MelPanels {
  const int64_t *lo, *hi, *offset;
  const float* weights;
  int64_t panels;
};
// mel[0, panels * kPanel) (filters past the last are zero).
void mel_energies(const float* power, const MelPanels& banks, float* mel);

// Whether float rounding rather than the signal may decide one of the `bins` mel energies: true
// when eps * |y| * sqrt(sum of the filter's weights / its energy) (eps * |y| * weights / energy for
// magnitudes) exceeds `limit` for some filter, |y|^2 = `frame_energy`; the limit is 10x looser at
// the log floor and relative to 1 / energy for linear energies below 1, as the parity tolerances
// are, and log values sure to stay under the floor never count. Where it is true, two float FFTs
// may disagree by more than the parity tolerance (docs/audio.md).
// weight_roots: the square roots of weight_sums.
bool ill_conditioned(const float* mel, const float* weight_sums, const float* weight_roots, int64_t bins,
                     float frame_energy, bool magnitude, bool use_log, float limit);

// Blocks of kLanes frames with the frames in the SIMD lanes (docs/audio.md, "The fast fbank"): after
// FFTW's complex DFT of each frame (length fft / 2 of its (even, odd) sample pairs), the spectra on
// [point][lane] arrays for the split and the mel filters.
constexpr int kLanes = 8;
// rows[l * stride + t], t < window, l < kLanes -> re/im[(t / 2) * kLanes + l] for even/odd t, zeros
// for window <= t < fft: interleaved complex rows to split [point][lane] arrays.
void rows_to_lanes(const float* rows, int64_t stride, int64_t window, int64_t fft, float* re, float* im);
// split_power on lanes: power[k * kLanes + l], k < half, from the complex DFTs of length half in
// re/im[k * kLanes + l] (natural order); the power without its 1/4, the magnitude without its 1/2.
void split_lanes(const float* re, const float* im, int64_t half, const float* cos, const float* sin, bool magnitude,
                 float* power);
// Whether this processor runs the AVX-512 versions (x86-64-v4): split_rows is for it only.
bool wide();
// split_lanes's result from the block's rows of complex DFTs (rows[l * stride + 2 k (+ 1)], k < half,
// the last row readable 32 floats past its end), for half a multiple of 32; scratch: kLanes * (half +
// 16) floats.
void split_rows(const float* rows, int64_t stride, int64_t half, const float* cos, const float* sin, bool magnitude,
                float* scratch, float* power);
// mel[f * kLanes + l] = sum over bins [lo[f], hi[f]) of weights[offset[f] + bin - lo[f]] * power.
struct MelFilters {
  const int64_t *lo, *hi, *offset;
  const float* weights;
  int64_t bins;
};
void mel_lanes(const float* power, const MelFilters& filters, float* mel);
// mel[f * kLanes + l] -> rows[l * stride + f], f < bins (bins rounded up to 8 are read).
void lanes_to_rows(const float* mel, int64_t bins, float* rows, int64_t stride);

// out[b] = (log(max(mel[b], FLT_EPSILON)) - shift) / div (no log unless use_log), b < bins.
void finish_row(const float* mel, int64_t bins, bool use_log, float shift, float div, float* out);

}  // namespace avtune::fbank_kernels
