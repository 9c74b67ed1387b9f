#pragma once
// Audio files in and out (libsndfile: wav, flac, ogg/vorbis, ...), channel mixing and resampling
// (libsoxr). Samples are float32 scaled like torchaudio.load: integer PCM divided by 2^(bits-1).
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace avtune {

struct AudioClip {
  torch::Tensor samples;  // (channels, n) float32, in [-1, 1] for integer formats
  int sample_rate = 0;
};

struct AudioReadOptions {
  // Float (and 32-bit integer) files are read as torchaudio 0.13's default (sox) reader does: through
  // int32, so samples beyond +-1 are clipped and the rest rounded to multiples of 2^-24 (docs/audio.md,
  // "Float and 32-bit files"). true keeps the stored values.
  bool keep_float_samples = false;
};

// Reads every sample of `path`. Throws avtune::Error naming the file when it is missing, unreadable,
// in a format libsndfile does not know, or holds no audio.
AudioClip read_audio(const std::string& path, const AudioReadOptions& opts = {});

// torchaudio 0.13's (sox 14.4's) path from a stored float sample to the float it returns: to int32
// (x * 2^31 clipped, truncated toward zero for 32-bit floats, rounded half away from zero for 64-bit),
// then back in 2^-24 steps (sox_int32_sample).
float sox_float_sample(double x, bool from_float32);
float sox_int32_sample(int32_t s);

// 1-D float32: the mean of the channels (channel = -1) or one channel (0-based). Throws for a
// channel out of range.
torch::Tensor to_mono(const AudioClip& clip, int channel = -1);
// The same from a clip the caller gives up: a mono float32 clip's samples are returned as they are
// (channel -1 or 0), not copied.
torch::Tensor to_mono(AudioClip&& clip, int channel = -1);

// Band-limited resampling with libsoxr at high quality (SOXR_HQ: 20-bit precision, ~95% passband).
// `wave` is 1-D or (channels, n); the output has round(n * to_rate / from_rate) samples per channel.
torch::Tensor resample(const torch::Tensor& wave, int from_rate, int to_rate);

// Writes a 16-bit PCM wav, atomically (temp file + rename). `wave` is 1-D or (channels, n) in
// [-1, 1]; samples are scaled by 32768, rounded and clipped to the int16 range, so any signal read
// from a 16-bit file is written back bit for bit. Throws for non-finite samples.
void write_wav16(const std::string& path, const torch::Tensor& wave, int sample_rate);

}  // namespace avtune
