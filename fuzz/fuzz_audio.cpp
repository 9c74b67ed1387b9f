// Audio files through libsndfile (WAV, FLAC, ...), then what the loaders do with them: mono, 16 kHz.
#include <torch/torch.h>

#include "avtune/audio/audio_file.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  at::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  avtune::fuzz::MemFile f(data, size);
  avtune::fuzz::expect_clean([&] {
    const avtune::AudioClip clip = avtune::read_audio(f.path());
    const torch::Tensor mono = avtune::to_mono(clip);
    if (clip.sample_rate != 16000) (void)avtune::resample(mono, clip.sample_rate, 16000);
  });
  return 0;
}
