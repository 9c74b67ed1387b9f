#pragma once
// Decodes a video file with FFmpeg's libraries (libavformat/libavcodec/libswscale/libswresample):
// its audio track as mono float at a chosen rate, and RGB frames at chosen times.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace avtune {

struct VideoInfo {
  double duration_s = 0;  // container duration, or the longest stream's
  bool has_audio = false, has_video = false;
  int width = 0, height = 0;
  double fps = 0;
  int audio_rate = 0, audio_channels = 0;
};

class VideoReader {
 public:
  explicit VideoReader(const std::string& path);  // throws avtune::Error naming the file
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  const VideoInfo& info() const { return info_; }
  // The whole audio track, down-mixed to mono and resampled: float32 (n) in [-1, 1].
  torch::Tensor read_audio(int sample_rate);
  // For each requested time (seconds, ascending), the decoded frame whose timestamp is nearest:
  // uint8 (3, H, W) RGB. Decodes the video stream once, sequentially.
  std::vector<torch::Tensor> read_frames_at(const std::vector<double>& times_s);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  VideoInfo info_;
  std::string path_;
};

// Times at the centre of each whole second of a clip (0.5, 1.5, ...); a clip shorter than one second
// gets its own centre.
std::vector<double> centre_of_seconds(double duration_s);

}  // namespace avtune
