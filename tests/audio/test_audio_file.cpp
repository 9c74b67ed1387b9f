// Reading (against torchaudio.load), channel mixing, resampling and 16-bit wav writing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>

#include "../test_support.h"
#include "avtune/audio/audio_file.h"
#include "audio_reference.h"
#include "avtune/io/weights_file.h"
#include "avtune/util/error.h"

using namespace avtune;

namespace {

using test::error_of;

// Amplitude and phase-free fit of a sinusoid of `hz` to `x` sampled at `rate` (least squares on
// sin/cos over whole periods), plus the residual's RMS.
struct SineFit {
  double amplitude, residual_rms;
};
SineFit fit_sine(const torch::Tensor& x, double hz, double rate) {
  auto t = torch::arange(x.size(0), torch::kDouble) / rate;
  auto s = torch::sin(2 * M_PI * hz * t), c = torch::cos(2 * M_PI * hz * t);
  auto xd = x.to(torch::kDouble);
  const double a = 2 * (xd * s).mean().item<double>(), b = 2 * (xd * c).mean().item<double>();
  auto residual = xd - a * s - b * c;
  return {std::hypot(a, b), residual.pow(2).mean().sqrt().item<double>()};
}

}  // namespace

TEST(AudioFile, ReadsExactlyWhatTorchaudioLoadReads) {
  const std::map<std::string, std::pair<int, int64_t>> expected = {
      {"speech", {16000, 1}}, {"speech_22k", {22050, 1}}, {"chirp", {16000, 1}}, {"noise", {16000, 1}},
      {"silence", {16000, 1}}, {"stereo", {16000, 2}},   {"tone44k", {44100, 1}}};
  for (const auto& [name, rate_channels] : expected) {
    SCOPED_TRACE(name);
    const auto* want = test::audio_reference().find("wave." + name);
    ASSERT_NE(want, nullptr) << "reference.pth lacks wave." << name;
    const AudioClip clip = read_audio(test::fixture("audio/" + name + ".wav"));
    EXPECT_EQ(clip.sample_rate, rate_channels.first);
    ASSERT_EQ(clip.samples.sizes(), want->sizes());
    EXPECT_EQ(clip.samples.size(0), rate_channels.second);
    EXPECT_EQ(clip.samples.scalar_type(), torch::kFloat);
    EXPECT_TRUE(clip.samples.equal(*want)) << "max diff " << test::max_abs_diff(clip.samples, *want);
  }
}

TEST(AudioFile, ReadsFlacLosslesslyAndOggClosely) {
  const AudioClip wav = read_audio(test::fixture("audio/speech.wav"));
  const AudioClip flac = read_audio(test::fixture("audio/speech.flac"));
  EXPECT_EQ(flac.sample_rate, 16000);
  EXPECT_TRUE(flac.samples.equal(wav.samples));
  const AudioClip ogg = read_audio(test::fixture("audio/speech.ogg"));
  EXPECT_EQ(ogg.sample_rate, 16000);
  ASSERT_EQ(ogg.samples.size(0), 1);
  ASSERT_EQ(ogg.samples.size(1), wav.samples.size(1));
  // Lossy, but the same sentence: a high correlation and a small error relative to the signal.
  auto a = wav.samples[0].to(torch::kDouble), b = ogg.samples[0].to(torch::kDouble);
  const double corr = ((a * b).sum() / (a.norm() * b.norm())).item<double>();
  const double rel = ((a - b).norm() / a.norm()).item<double>();
  std::printf("ogg vs wav: correlation %.4f, relative error %.3f\n", corr, rel);
  EXPECT_GT(corr, 0.99);
  EXPECT_LT(rel, 0.15);
}

TEST(AudioFile, MixesOrPicksChannels) {
  const AudioClip clip = read_audio(test::fixture("audio/stereo.wav"));
  ASSERT_EQ(clip.samples.size(0), 2);
  EXPECT_TRUE(to_mono(clip, -1).equal(clip.samples.mean(0)));
  EXPECT_TRUE(to_mono(clip, 0).equal(clip.samples[0]));
  EXPECT_TRUE(to_mono(clip, 1).equal(clip.samples[1]));
  EXPECT_EQ(to_mono(clip).dim(), 1);
  // The mean is really the average of two different channels.
  EXPECT_GT(test::max_abs_diff(to_mono(clip, 0), to_mono(clip, 1)), 0.1);
  EXPECT_LE(test::max_abs_diff(to_mono(clip) * 2, clip.samples[0] + clip.samples[1]), 1e-6);
  const std::string msg = error_of([&] { to_mono(clip, 2); });
  EXPECT_NE(msg.find("channel -1 (mean) or 0..1"), std::string::npos) << msg;
  EXPECT_NE(error_of([&] { to_mono(clip, -2); }), "no error");
  // A mono result is a copy: editing it leaves the clip alone.
  AudioClip mono{torch::ones({1, 10}), 16000};
  auto m = to_mono(mono);
  m.zero_();
  EXPECT_EQ(mono.samples.sum().item<float>(), 10.0f);
  // From a clip given up: a mono clip's own buffer (no copy), other clips as from a kept one.
  AudioClip given{torch::arange(10, torch::kFloat).view({1, 10}), 16000};
  const float* buffer = given.samples.data_ptr<float>();
  const auto own = to_mono(std::move(given));
  EXPECT_EQ(own.data_ptr<float>(), buffer);
  EXPECT_TRUE(own.equal(torch::arange(10, torch::kFloat)));
  AudioClip stereo = clip;
  EXPECT_TRUE(to_mono(std::move(stereo), -1).equal(to_mono(clip, -1)));
  AudioClip picked{torch::arange(10, torch::kFloat).view({1, 10}), 16000};
  EXPECT_NE(error_of([&] { to_mono(std::move(picked), 1); }).find("channel -1 (mean) or 0..0"), std::string::npos);
}

TEST(AudioFile, ResamplingKeepsASinesFrequencyAndAmplitude) {
  const AudioClip clip = read_audio(test::fixture("audio/tone44k.wav"));
  ASSERT_EQ(clip.sample_rate, 44100);
  const auto down = resample(to_mono(clip), 44100, 16000);
  ASSERT_EQ(down.dim(), 1);
  EXPECT_EQ(down.size(0), 16000);
  // Skip the filter's edge transients; the 1 kHz sine of amplitude 0.5 survives unchanged.
  const auto mid = down.slice(0, 800, 15200);
  const SineFit f = fit_sine(mid, 1000.0, 16000.0);
  EXPECT_NEAR(f.amplitude, 0.5, 2e-3);
  EXPECT_LT(f.residual_rms, 1e-3);
  // Any other frequency fits badly.
  EXPECT_LT(fit_sine(mid, 1010.0, 16000.0).amplitude, 0.05);
  // And it is in phase with the original: sin(2 pi 1000 t) at the new sample times.
  auto t = torch::arange(16000, torch::kDouble) / 16000.0;
  auto ideal = 0.5 * torch::sin(2 * M_PI * 1000.0 * t);
  const double vs_ideal = test::max_abs_diff(down.slice(0, 800, 15200), ideal.slice(0, 800, 15200));
  std::printf("44.1k->16k 1 kHz sine: amplitude %.5f, residual rms %.2e, max |x - ideal| %.2e\n", f.amplitude,
              f.residual_rms, vs_ideal);
  EXPECT_LT(vs_ideal, 2e-3);
}

TEST(AudioFile, ResamplingUpAndBackKeepsTheBand) {
  const auto chirp = to_mono(read_audio(test::fixture("audio/chirp.wav")));
  const auto up = resample(chirp, 16000, 44100);
  EXPECT_EQ(up.size(0), std::llround(chirp.size(0) * 44100.0 / 16000.0));
  const auto back = resample(up, 44100, 16000);
  ASSERT_EQ(back.size(0), chirp.size(0));
  // The chirp stays below 7.5 kHz, inside soxr's passband: the round trip is near transparent
  // away from the edges.
  const double err = test::max_abs_diff(back.slice(0, 400, 28000), chirp.slice(0, 400, 28000));
  std::printf("16k->44.1k->16k chirp: max abs error %.2e\n", err);
  EXPECT_LT(err, 5e-3);
  // (channels, n) input resamples each channel.
  const auto stereo = read_audio(test::fixture("audio/stereo.wav")).samples;
  const auto s8k = resample(stereo, 16000, 8000);
  EXPECT_EQ(s8k.sizes(), (std::vector<int64_t>{2, 9600}));
  EXPECT_LE(test::max_abs_diff(s8k[0], resample(stereo[0], 16000, 8000)), 1e-6);
  EXPECT_NE(error_of([&] { resample(chirp, 0, 16000); }), "no error");
  EXPECT_TRUE(resample(chirp, 16000, 16000).equal(chirp));
}

TEST(AudioFile, Wav16RoundTripIsBitExact) {
  test::TempDir d;
  for (const std::string name : {"speech", "stereo"}) {
    SCOPED_TRACE(name);
    const AudioClip clip = read_audio(test::fixture("audio/" + name + ".wav"));
    write_wav16(d.file(name + ".wav"), clip.samples, clip.sample_rate);
    const AudioClip back = read_audio(d.file(name + ".wav"));
    EXPECT_EQ(back.sample_rate, clip.sample_rate);
    EXPECT_TRUE(back.samples.equal(clip.samples));
  }
  // 1-D input, out-of-range samples clipped to the int16 range, odd rate kept.
  write_wav16(d.file("clip.wav"), torch::tensor({0.0f, 0.5f, -1.0f, 1.0f, 2.0f, -3.0f}), 12345);
  const AudioClip c = read_audio(d.file("clip.wav"));
  EXPECT_EQ(c.sample_rate, 12345);
  const auto want = torch::tensor({0.0f, 0.5f, -1.0f, 32767 / 32768.0f, 32767 / 32768.0f, -1.0f}).unsqueeze(0);
  EXPECT_TRUE(c.samples.equal(want)) << c.samples;
  // No temp files left behind.
  for (const auto& e : std::filesystem::directory_iterator(d.path))
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
}

TEST(AudioFile, FailedWriteLeavesTheOldFile) {
  test::TempDir d;
  const auto path = d.file("keep.wav");
  write_wav16(path, torch::full({100}, 0.25f), 16000);
  const std::string msg = error_of([&] { write_wav16(path, torch::tensor({0.0f, NAN}), 16000); });
  EXPECT_NE(msg.find("finite"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  const AudioClip c = read_audio(path);
  EXPECT_EQ(c.samples.size(1), 100);
  EXPECT_EQ(c.samples[0][0].item<float>(), 0.25f);
  EXPECT_NE(error_of([&] { write_wav16(d.file("x.wav"), torch::zeros({2, 3, 4}), 16000); }), "no error");
  EXPECT_NE(error_of([&] { write_wav16(d.file("x.wav"), torch::zeros({10}), 0); }), "no error");
  EXPECT_FALSE(std::filesystem::exists(d.file("x.wav")));
}

TEST(AudioFile, MissingOrCorruptFilesAreNamed) {
  test::TempDir d;
  const auto missing = d.file("nope.wav");
  std::string msg = error_of([&] { read_audio(missing); });
  EXPECT_NE(msg.find(missing), std::string::npos) << msg;
  EXPECT_NE(msg.find("no such file"), std::string::npos) << msg;

  const auto garbage = d.file("garbage.wav");
  std::ofstream(garbage) << "this is not audio at all, just text pretending to be a wav file";
  msg = error_of([&] { read_audio(garbage); });
  EXPECT_NE(msg.find(garbage), std::string::npos) << msg;
  EXPECT_NE(msg.find("audio: expected a readable audio file"), std::string::npos) << msg;

  // A real wav cut inside its header.
  std::ifstream src(test::fixture("audio/speech.wav"), std::ios::binary);
  std::string head(20, '\0');
  src.read(head.data(), 20);
  const auto cut = d.file("cut.wav");
  std::ofstream(cut, std::ios::binary) << head;
  msg = error_of([&] { read_audio(cut); });
  EXPECT_NE(msg.find(cut), std::string::npos) << msg;

  msg = error_of([&] { read_audio(d.path.string()); });  // a directory
  EXPECT_NE(msg.find(d.path.string()), std::string::npos) << msg;
}
