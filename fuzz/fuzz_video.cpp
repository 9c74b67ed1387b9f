// The video demuxer and decoders (FFmpeg) as `avtune preprocess` uses them: stream info, the audio
// track at 16 kHz, and one frame at the centre of each second.
#include <torch/torch.h>

extern "C" {
#include <libavutil/log.h>
}

#include "avtune/io/video_reader.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  at::set_num_threads(1);
  av_log_set_level(AV_LOG_QUIET);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  avtune::fuzz::MemFile f(data, size);
  avtune::fuzz::expect_clean([&] {
    avtune::VideoReader r(f.path());
    const auto& info = r.info();
    if (info.has_audio) (void)r.read_audio(16000);
    if (info.has_video) (void)r.read_frames_at(avtune::centre_of_seconds(info.duration_s));
  });
  return 0;
}
