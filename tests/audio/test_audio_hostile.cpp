// Cut, corrupt and hostile audio files (issue 17): an error naming the file, never a short or NaN clip.
#include <gtest/gtest.h>
#include <sndfile.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

#include "avtune/audio/audio_file.h"
#include "avtune/util/error.h"
#include "../test_support.h"

using namespace avtune;
using test::error_of;

namespace {

// One second of a 16 kHz tone through libsndfile in `format`; float formats get `poison` at sample 100.
void write_tone(const std::string& path, int format, float poison = 0) {
  SF_INFO info{};
  info.samplerate = 16000;
  info.channels = 1;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
  std::vector<float> s(16000);
  for (size_t k = 0; k < s.size(); ++k) s[k] = 0.5f * std::sin(0.05f * static_cast<float>(k));
  if (poison != 0) s[100] = poison;
  sf_writef_float(f, s.data(), static_cast<sf_count_t>(s.size()));
  sf_close(f);
}

void cut_to(const std::string& path, double fraction) {
  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, static_cast<uintmax_t>(static_cast<double>(size) * fraction));
}

void expect_named_error(const std::string& path, const std::string& what, const AudioReadOptions& o = {}) {
  const std::string m = error_of([&] { read_audio(path, o); });
  EXPECT_NE(m.find(path), std::string::npos) << m;
  EXPECT_NE(m.find(what), std::string::npos) << m;
}

TEST(AudioHostile, WavWithAShortDataChunkIsAnError) {
  test::TempDir dir;
  const std::string p = dir.file("cut.wav");
  write_tone(p, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  EXPECT_EQ(read_audio(p).samples.size(1), 16000);
  cut_to(p, 0.5);
  expect_named_error(p, "truncated");
}

TEST(AudioHostile, FlacCutInHalfIsAnError) {
  test::TempDir dir;
  const std::string p = dir.file("cut.flac");
  write_tone(p, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  EXPECT_EQ(read_audio(p).samples.size(1), 16000);
  cut_to(p, 0.5);
  expect_named_error(p, "FLAC");
}

TEST(AudioHostile, FlacWithCorruptedBytesIsAnError) {
  test::TempDir dir;
  const std::string p = dir.file("bad.flac");
  write_tone(p, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  const auto size = static_cast<long>(std::filesystem::file_size(p));
  std::vector<char> bytes(static_cast<size_t>(size));
  f.read(bytes.data(), size);
  for (long k = size / 2; k < size / 2 + 200; ++k) bytes[static_cast<size_t>(k)] ^= 0x5a;
  f.seekp(0);
  f.write(bytes.data(), size);
  f.close();
  expect_named_error(p, "FLAC");
}

TEST(AudioHostile, NonFiniteSamplesAreAnError) {
  test::TempDir dir;
  for (float poison : {std::nanf(""), HUGE_VALF, -HUGE_VALF}) {
    const std::string p = dir.file("poison.wav");
    write_tone(p, SF_FORMAT_WAV | SF_FORMAT_FLOAT, poison);
    expect_named_error(p, "NaN or infinity at frame 100");
    AudioReadOptions keep;
    keep.keep_float_samples = true;
    expect_named_error(p, "NaN or infinity at frame 100", keep);
  }
}

TEST(AudioHostile, TinySampleRateIsNotResampledIntoGigabytes) {
  const auto wave = torch::zeros({1000});
  const std::string m = error_of([&] { resample(wave, 1, 16000); });
  EXPECT_NE(m.find("1 Hz"), std::string::npos) << m;
  EXPECT_EQ(resample(wave, 8000, 16000).size(0), 2000);  // ordinary upsampling still works
}

}  // namespace
