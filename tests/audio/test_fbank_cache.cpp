#include <gtest/gtest.h>

#include "avtune/audio/audio_file.h"
#include "avtune/audio/fbank_cache.h"
#include "../test_support.h"

using namespace avtune;

TEST(FbankCache, SameResultComputedOnceAndKeyedOnEveryOption) {
  test::TempDir d;
  torch::manual_seed(0);
  const auto wav = d.file("a.wav");
  write_wav16(wav, torch::randn({16000}) * 0.1, 16000);
  clear_fbank_cache();
  set_fbank_cache_limit(size_t{64} << 20);
  AudioInputOptions o;
  o.target_frames = 64;
  o.fbank.num_mel_bins = 32;
  const auto direct = load_fbank_input(wav, o);
  const auto first = cached_fbank_input(wav, o);
  const auto second = cached_fbank_input(wav, o);
  EXPECT_TRUE(torch::equal(first, direct));
  EXPECT_EQ(first.data_ptr(), second.data_ptr()) << "the second call is served from the cache";
  EXPECT_EQ(fbank_cache_bytes(), size_t{64 * 32 * 4});

  auto other = o;
  other.norm_mean = 1.0;  // any option is part of the key
  const auto third = cached_fbank_input(wav, other);
  EXPECT_NE(third.data_ptr(), first.data_ptr());
  EXPECT_TRUE(torch::equal(third, load_fbank_input(wav, other)));
  EXPECT_EQ(fbank_cache_bytes(), size_t{2 * 64 * 32 * 4});

  auto noisy = o;
  noisy.fbank.dither = 1.0;  // random output: never cached
  cached_fbank_input(wav, noisy);
  EXPECT_EQ(fbank_cache_bytes(), size_t{2 * 64 * 32 * 4});

  set_fbank_cache_limit(0);  // disabled: computed every time
  EXPECT_NE(cached_fbank_input(wav, o).data_ptr(), cached_fbank_input(wav, o).data_ptr());
  set_fbank_cache_limit(size_t{1} << 30);
  clear_fbank_cache();
  EXPECT_EQ(fbank_cache_bytes(), 0u);
}
