#include "avtune/audio/audio_file.h"

#include <sndfile.h>
#include <soxr.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <filesystem>
#include <memory>
#include <vector>

#include "avtune/util/atomic_file.h"
#include "avtune/util/error.h"

namespace avtune {

namespace {

// The most resample() may multiply the sample count by (docs/reliability.md): 62.5 Hz to 16 kHz.
constexpr int64_t kMaxUpsampling = 256;

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfilePtr = std::unique_ptr<SNDFILE, SndfileCloser>;

// (channels, n) float32 contiguous from 1-D or 2-D input; `what` names the caller in errors.
torch::Tensor as_channels(const torch::Tensor& wave, const std::string& what) {
  if (!wave.defined() || (wave.dim() != 1 && wave.dim() != 2))
    fail(what, "a 1-D or (channels, n) waveform", wave.defined() ? "shape " + c10::str(wave.sizes()) : "an undefined tensor");
  auto w = wave.dim() == 1 ? wave.unsqueeze(0) : wave;
  if (w.size(0) < 1) fail(what, "at least one channel", "0");
  return w.to(torch::kCPU, torch::kFloat).contiguous();
}

// A cut or corrupted file must not pass as a short clip. libsndfile reads what it can and reports
// the mismatch only in its log: WAV "data : <declared> (should be <present>)", FLAC decoder errors;
// a FLAC header also declares its frame count.
void check_complete(SNDFILE* f, const SF_INFO& info, int64_t frames_read, const std::string& path) {
  std::vector<char> log(16384, '\0');
  sf_command(f, SFC_GET_LOG_INFO, log.data(), static_cast<int>(log.size()) - 1);
  const std::string text(log.data());
  const int major = info.format & SF_FORMAT_TYPEMASK;
  if (major == SF_FORMAT_WAV || major == SF_FORMAT_WAVEX || major == SF_FORMAT_RF64) {
    const auto at = text.find("\ndata : ");
    unsigned long long declared = 0, present = 0;
    if (at != std::string::npos &&
        std::sscanf(text.c_str() + at, "\ndata : %llu (should be %llu)", &declared, &present) == 2 &&
        declared > present && declared != 0xffffffffULL)  // 0xffffffff: a streamed WAV, size unknown
      fail("audio", std::to_string(declared) + " bytes of samples as the WAV header declares",
           std::to_string(present) + " (truncated file)", {path});
  }
  if (major == SF_FORMAT_FLAC) {
    if (text.find("ERROR : FLAC__STREAM_DECODER_ERROR") != std::string::npos)
      fail("audio", "a FLAC stream that decodes without errors", "a corrupt or cut one (lost sync)", {path});
    if (info.frames > 0 && frames_read < info.frames)
      fail("audio", std::to_string(info.frames) + " frames as the FLAC header declares",
           std::to_string(frames_read) + " (truncated file)", {path});
  }
}

}  // namespace

float sox_int32_sample(int32_t s) {
  // sox's SOX_SAMPLE_TO_FLOAT_32BIT: the top 24 bits, rounded; near full scale, exactly 1.
  if (s > std::numeric_limits<int32_t>::max() - 64) return 1.0f;
  const int64_t q = (static_cast<int64_t>(s) + 64) & ~int64_t{127};
  return static_cast<float>(static_cast<double>(q) * (1.0 / 2147483648.0));
}

float sox_float_sample(double x, bool from_float32) {
  constexpr int32_t lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
  if (std::isnan(x)) return 0.0f;
  const double t = x * 2147483648.0;
  int32_t s;
  if (from_float32) {  // SOX_FLOAT_32BIT_TO_SAMPLE: clip, truncate
    s = t < -2147483648.0 ? lo : t >= 2147483648.0 ? hi : static_cast<int32_t>(t);
  } else if (t < 0) {  // SOX_FLOAT_64BIT_TO_SAMPLE: clip, round half away from zero
    s = t <= -2147483648.5 ? lo : static_cast<int32_t>(t - 0.5);
  } else {
    s = t >= 2147483647.5 ? hi : static_cast<int32_t>(t + 0.5);
  }
  return sox_int32_sample(s);
}

AudioClip read_audio(const std::string& path, const AudioReadOptions& opts) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail("audio", "an existing audio file", "no such file", {path});
  SF_INFO info{};
  SndfilePtr f(sf_open(path.c_str(), SFM_READ, &info));
  if (!f) fail("audio", "a readable audio file (wav, flac, ogg, ...)", sf_strerror(nullptr), {path});
  if (info.channels < 1 || info.samplerate < 1)
    fail("audio", "at least one channel and a positive sample rate",
         std::to_string(info.channels) + " channel(s) at " + std::to_string(info.samplerate) + " Hz", {path});

  // Read to the end rather than trusting info.frames, which is an estimate for some formats.
  const int channels = info.channels;
  std::vector<float> interleaved;
  // The header's frame count is reserved only when the file could hold it (8 samples per byte is
  // beyond any lossless ratio of real audio): a small file declaring 2^40 frames must not allocate.
  const auto file_bytes = std::filesystem::file_size(path, ec);
  const double declared = static_cast<double>(std::max<sf_count_t>(info.frames, 0)) * channels;
  if (!ec && declared <= 8.0 * static_cast<double>(file_bytes)) interleaved.reserve(static_cast<size_t>(declared));
  const int sub = info.format & SF_FORMAT_SUBMASK;
  const bool as_float = !opts.keep_float_samples && (sub == SF_FORMAT_FLOAT || sub == SF_FORMAT_DOUBLE);
  const bool as_int32 = !opts.keep_float_samples && sub == SF_FORMAT_PCM_32;
  // 16-bit PCM in libsndfile's PCM containers (most data sets' wav files): read as shorts and scaled
  // here by libsndfile's own factor (x * 2^-15: the same floats, exactly), in a loop that vectorises,
  // without the finiteness check integers do not need; ~3x faster than sf_readf_float's conversion
  // and the check (docs/performance.md).
  const int major = info.format & SF_FORMAT_TYPEMASK;
  const bool as_short = sub == SF_FORMAT_PCM_16 && (major == SF_FORMAT_WAV || major == SF_FORMAT_WAVEX ||
                                                    major == SF_FORMAT_W64 || major == SF_FORMAT_RF64 ||
                                                    major == SF_FORMAT_AIFF);
  // NaN or infinite samples would make every feature NaN downstream (sox maps NaN to 0 silently).
  auto non_finite_at = [&path](size_t frame) {
    fail("audio", "finite samples", "NaN or infinity at frame " + std::to_string(frame), {path});
  };
  const size_t chunk_frames = 65536;
  std::vector<float> chunk(as_float || as_int32 ? chunk_frames * channels : 0);
  std::vector<double> dchunk(as_float ? chunk_frames * channels : 0);
  std::vector<int> ichunk(as_int32 ? chunk_frames * channels : 0);
  std::vector<short> schunk(as_short ? chunk_frames * channels : 0);
  while (true) {
    sf_count_t got;
    if (as_short) {
      got = sf_readf_short(f.get(), schunk.data(), static_cast<sf_count_t>(chunk_frames));
      if (got <= 0) break;
      const size_t at = interleaved.size(), count = static_cast<size_t>(got) * channels;
      interleaved.resize(at + count);
      float* __restrict dst = interleaved.data() + at;
      const short* __restrict src = schunk.data();
      for (size_t i = 0; i < count; ++i) dst[i] = static_cast<float>(src[i]) * (1.0f / 32768.0f);
      continue;
    }
    if (as_float) {  // the stored values (libsndfile does not scale float files), then sox's path
      got = sf_readf_double(f.get(), dchunk.data(), static_cast<sf_count_t>(chunk_frames));
      for (sf_count_t i = 0; i < std::max<sf_count_t>(got, 0) * channels; ++i) {
        if (!std::isfinite(dchunk[i])) non_finite_at(interleaved.size() / channels + i / channels);
        chunk[i] = sox_float_sample(dchunk[i], sub == SF_FORMAT_FLOAT);
      }
    } else if (as_int32) {
      got = sf_readf_int(f.get(), ichunk.data(), static_cast<sf_count_t>(chunk_frames));
      for (sf_count_t i = 0; i < std::max<sf_count_t>(got, 0) * channels; ++i) chunk[i] = sox_int32_sample(ichunk[i]);
    } else {  // straight into the result
      const size_t at = interleaved.size();
      interleaved.resize(at + chunk_frames * channels);
      got = sf_readf_float(f.get(), interleaved.data() + at, static_cast<sf_count_t>(chunk_frames));
      interleaved.resize(at + static_cast<size_t>(std::max<sf_count_t>(got, 0)) * channels);
      for (size_t i = at; i < interleaved.size(); ++i)
        if (!std::isfinite(interleaved[i])) non_finite_at(i / channels);
      if (got <= 0) break;
      continue;
    }
    if (got <= 0) break;
    interleaved.insert(interleaved.end(), chunk.begin(), chunk.begin() + got * channels);
  }
  if (sf_error(f.get()) != SF_ERR_NO_ERROR)
    fail("audio", "a decodable audio stream", sf_strerror(f.get()), {path});
  const int64_t n = static_cast<int64_t>(interleaved.size()) / channels;
  if (n == 0) fail("audio", "at least one sample", "an empty stream", {path});
  check_complete(f.get(), info, n, path);

  AudioClip clip;
  clip.sample_rate = info.samplerate;
  if (channels == 1) {  // already (1, n): the tensor takes the buffer over, no copy
    auto* owner = new std::vector<float>(std::move(interleaved));
    clip.samples = torch::from_blob(owner->data(), {1, n}, [owner](void*) { delete owner; }, torch::kFloat);
    return clip;
  }
  clip.samples = torch::from_blob(interleaved.data(), {n, channels}, torch::kFloat).t().clone(at::MemoryFormat::Contiguous);
  return clip;
}

torch::Tensor to_mono(const AudioClip& clip, int channel) {
  const auto& s = clip.samples;
  if (!s.defined() || s.dim() != 2 || s.size(0) < 1)
    fail("audio", "samples shaped (channels, n)", s.defined() ? "shape " + c10::str(s.sizes()) : "none");
  const int64_t channels = s.size(0);
  // Copies, so that editing the result never edits the clip.
  if (channel == -1) return channels == 1 ? s[0].to(torch::kFloat).clone() : s.to(torch::kFloat).mean(0);
  if (channel < 0 || channel >= channels)
    fail("audio", "channel -1 (mean) or 0.." + std::to_string(channels - 1), std::to_string(channel));
  return s[channel].to(torch::kFloat).clone();
}

torch::Tensor to_mono(AudioClip&& clip, int channel) {
  const auto& s = clip.samples;
  if (s.defined() && s.dim() == 2 && s.size(0) == 1 && (channel == -1 || channel == 0) &&
      s.scalar_type() == torch::kFloat)
    return clip.samples[0];  // a view of the buffer the clip gave up
  return to_mono(static_cast<const AudioClip&>(clip), channel);
}

torch::Tensor resample(const torch::Tensor& wave, int from_rate, int to_rate) {
  if (from_rate <= 0 || to_rate <= 0)
    fail("resample", "positive sample rates", std::to_string(from_rate) + " -> " + std::to_string(to_rate));
  if (from_rate == to_rate) return wave.to(torch::kFloat).clone();
  auto w = as_channels(wave, "resample");
  const int64_t channels = w.size(0), n = w.size(1);
  // A header may claim any rate: 1 Hz to 16 kHz would turn a 1 MB file into 16 GB of samples.
  if (static_cast<int64_t>(to_rate) > static_cast<int64_t>(from_rate) * kMaxUpsampling)
    fail("resample", "a source rate at least 1/" + std::to_string(kMaxUpsampling) + " of the target " + std::to_string(to_rate) + " Hz",
         std::to_string(from_rate) + " Hz");
  const auto out_n = static_cast<int64_t>(std::llround(static_cast<double>(n) * to_rate / from_rate));
  auto in = w.t().contiguous();  // soxr takes interleaved frames
  auto out = torch::zeros({out_n, channels}, torch::kFloat);
  if (out_n > 0) {
    const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
    const soxr_runtime_spec_t runtime = soxr_runtime_spec(1);
    size_t done = 0;
    soxr_error_t err = soxr_oneshot(from_rate, to_rate, static_cast<unsigned>(channels), in.data_ptr<float>(),
                                    static_cast<size_t>(n), nullptr, out.data_ptr<float>(),
                                    static_cast<size_t>(out_n), &done, &io, &quality, &runtime);
    if (err) fail("resample", "libsoxr to succeed", err);
    // soxr flushes its filter at the end of a one-shot call, so `done` reaches out_n; anything short
    // of it stays zero rather than undefined.
  }
  out = out.t().contiguous();
  return wave.dim() == 1 ? out[0] : out;
}

void write_wav16(const std::string& path, const torch::Tensor& wave, int sample_rate) {
  if (sample_rate <= 0) fail("audio", "a positive sample rate", std::to_string(sample_rate), {path});
  auto w = as_channels(wave, "audio");
  if (!torch::isfinite(w).all().item<bool>()) fail("audio", "finite samples", "NaN or infinity", {path});
  // Scale by 2^15 (the inverse of reading), round, clip: +1.0 becomes 32767.
  auto pcm = (w * 32768.0).round().clamp(-32768, 32767).to(torch::kShort).t().contiguous();

  AtomicFile out(path);  // sndfile writes the temp file by name; commit() renames it into place
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = static_cast<int>(w.size(0));
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  {
    SndfilePtr f(sf_open(out.temp_path().c_str(), SFM_WRITE, &info));
    if (!f) fail("audio", "a writable wav file", sf_strerror(nullptr), {path});
    const sf_count_t frames = pcm.size(0);
    if (sf_writef_short(f.get(), pcm.data_ptr<int16_t>(), frames) != frames)
      fail("audio", "all samples written", sf_strerror(f.get()), {path});
    if (sf_close(f.release()) != 0) fail("audio", "the wav file closed cleanly", "an error from sf_close", {path});
  }
  out.commit();
}

}  // namespace avtune
