#pragma once
// `avtune bench fbank`: the fbank of the data pipeline on 10 s speech clips, timed per clip for three
// inputs, on clips written as wav files so that the PyTorch reference (bench/reference_fbank.py)
// times torchaudio on the very same samples.
#include <cstdint>
#include <string>
#include <vector>

namespace avtune {

struct FbankBenchConfig {
  std::string dir;     // where the clips are written (and read back)
  int clips = 8;       // 10 s each
  int repeats = 10;    // the best of these passes over every clip is reported
  int threads = 1;     // clips computed at once (one thread each)
};

// The clips, from speech the espeak-ng program speaks (22.05 kHz, deterministic), cut into 10 s
// pieces: <dir>/speech16k_<i>.wav (resampled to 16 kHz, mono), stereo44k_<i>.wav (resampled to
// 44.1 kHz; right = 0.8 x left delayed by 3 ms) and speech22k_<i>.wav (as spoken), 16-bit.
void write_fbank_bench_clips(const FbankBenchConfig& cfg);

// The three inputs: "16k" (fbank of the 16 kHz clip), "44k_stereo" (channel mean, fbank at
// 44.1 kHz: 2048-point FFTs) and "22k_to_16k" (libsoxr to 16 kHz, then the fbank), all with the
// paper's options. ms per clip for fast_fbank and for kaldi_fbank, best of `repeats` passes: CPU
// time of the measuring thread on one thread (what other processes of a shared machine do not
// inflate), wall time when `threads` > 1.
// Where fast_fbank's time goes, on the same input once mixed/resampled (fast_fbank_stages, one
// thread): the frames' preparation, FFTW's DFTs (prepare + DFTs minus prepare), the rest (power
// spectrum, mel filters, log, conditioning checks and recomputed frames), and all of it.
struct FbankBenchRow {
  std::string input;
  double fast_ms = 0, kaldi_ms = 0;
  double prepare_ms = 0, dft_ms = 0, rest_ms = 0, stages_ms = 0;
  int64_t frames = 0;  // per clip
};
std::vector<FbankBenchRow> bench_fbank(const FbankBenchConfig& cfg);

}  // namespace avtune
