#include "avtune/io/video_reader.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "avtune/util/error.h"
#include "avtune/util/progress.h"

namespace avtune {

namespace {
std::string av_err(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

// FFmpeg's own messages ("Invalid NAL unit size", "moov atom not found") go through avtune's
// warning lines, naming the file being read, instead of leaking to stderr bare; below warning level
// they are dropped. The file is the one this thread is reading (decoding runs on the caller's thread).
thread_local const std::string* tl_reading = nullptr;

void ffmpeg_log(void* avcl, int level, const char* fmt, va_list vl) {
  if (level > AV_LOG_WARNING) return;
  char line[1024];
  int print_prefix = 1;
  av_log_format_line(avcl, level, fmt, vl, line, sizeof line, &print_prefix);
  size_t n = std::strlen(line);
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
  if (n == 0) return;
  end_progress_line();
  std::fprintf(stderr, "avtune: warning: FFmpeg: %s (%s)\n", line, tl_reading ? tl_reading->c_str() : "?");
}

struct ReadingScope {
  explicit ReadingScope(const std::string& path) {
    static std::once_flag once;
    std::call_once(once, [] {
      av_log_set_level(AV_LOG_WARNING);
      av_log_set_callback(ffmpeg_log);
    });
    tl_reading = &path;
  }
  ~ReadingScope() { tl_reading = nullptr; }
};
}  // namespace

namespace {
constexpr double kMaxVideoSeconds = 24 * 3600.0;   // docs/reliability.md
// Video ending this long before the last sampled time means a cut file; a quarter of the clip for
// short clips (a 3 s clip cut in half otherwise passed as padded frames), at least half a second.
constexpr double kMaxMissingVideoSeconds = 2.0, kMinMissingVideoSeconds = 0.5;
}  // namespace

struct VideoReader::Impl {
  AVFormatContext* fmt = nullptr;
  int audio_stream = -1, video_stream = -1;
  ~Impl() {
    if (fmt) avformat_close_input(&fmt);
  }
};

std::vector<double> centre_of_seconds(double duration_s) {
  std::vector<double> t;
  const long n = static_cast<long>(std::floor(duration_s));
  for (long k = 0; k < n; ++k) t.push_back(static_cast<double>(k) + 0.5);
  if (t.empty() && duration_s > 0) t.push_back(duration_s / 2);
  return t;
}

VideoReader::VideoReader(const std::string& path) : impl_(std::make_unique<Impl>()), path_(path) {
  ReadingScope reading(path_);
  int rc = avformat_open_input(&impl_->fmt, path.c_str(), nullptr, nullptr);
  if (rc < 0) fail("video", "a readable video file", av_err(rc), {path});
  rc = avformat_find_stream_info(impl_->fmt, nullptr);
  if (rc < 0) fail("video", "stream information", av_err(rc), {path});
  impl_->audio_stream = av_find_best_stream(impl_->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  impl_->video_stream = av_find_best_stream(impl_->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  info_.has_audio = impl_->audio_stream >= 0;
  info_.has_video = impl_->video_stream >= 0;
  if (impl_->fmt->duration > 0) info_.duration_s = static_cast<double>(impl_->fmt->duration) / AV_TIME_BASE;
  for (unsigned s = 0; s < impl_->fmt->nb_streams; ++s) {
    const AVStream* st = impl_->fmt->streams[s];
    if (st->duration > 0) info_.duration_s = std::max(info_.duration_s, st->duration * av_q2d(st->time_base));
  }
  // A header may claim any duration; frame sampling makes one timestamp per second of it.
  if (!(info_.duration_s <= kMaxVideoSeconds))
    fail("video", "a duration under " + std::to_string(static_cast<long>(kMaxVideoSeconds)) + " s",
         std::to_string(info_.duration_s) + " s in its header", {path});
  if (info_.has_video) {
    const AVStream* st = impl_->fmt->streams[impl_->video_stream];
    info_.width = st->codecpar->width;
    info_.height = st->codecpar->height;
    info_.fps = av_q2d(st->avg_frame_rate);
  }
  if (info_.has_audio) {
    const AVStream* st = impl_->fmt->streams[impl_->audio_stream];
    info_.audio_rate = st->codecpar->sample_rate;
    info_.audio_channels = st->codecpar->ch_layout.nb_channels;
  }
}

VideoReader::~VideoReader() = default;

namespace {
struct CodecCtx {
  AVCodecContext* ctx = nullptr;
  ~CodecCtx() { avcodec_free_context(&ctx); }
};
struct PacketFrame {
  AVPacket* pkt = av_packet_alloc();
  AVFrame* frame = av_frame_alloc();
  ~PacketFrame() {
    av_packet_free(&pkt);
    av_frame_free(&frame);
  }
};

void open_codec(CodecCtx& c, AVStream* st, const std::string& path) {
  const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
  if (!codec) fail("video", "a decoder for " + std::string(avcodec_get_name(st->codecpar->codec_id)), "none", {path});
  c.ctx = avcodec_alloc_context3(codec);
  avcodec_parameters_to_context(c.ctx, st->codecpar);
  c.ctx->thread_count = 1;  // clips are decoded in parallel, one per thread
  int rc = avcodec_open2(c.ctx, codec, nullptr);
  if (rc < 0) fail("video", "an openable decoder", av_err(rc), {path});
}

// Feeds every packet of `stream` to the decoder and hands each decoded frame to `on_frame`
// (return false to stop). Corrupt data stops with an error naming the file.
template <class F>
void decode_stream(AVFormatContext* fmt, int stream, CodecCtx& c, const std::string& path, F&& on_frame) {
  av_seek_frame(fmt, -1, 0, AVSEEK_FLAG_BACKWARD);
  PacketFrame pf;
  bool more = true;
  auto drain = [&]() {
    for (;;) {
      int rc = avcodec_receive_frame(c.ctx, pf.frame);
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      if (rc < 0) fail("video", "decodable frames", av_err(rc), {path});
      const bool go_on = on_frame(pf.frame);
      av_frame_unref(pf.frame);
      if (!go_on) {
        more = false;
        return;
      }
    }
  };
  int decoded_errors = 0;
  while (more) {
    int rc = av_read_frame(fmt, pf.pkt);
    if (rc == AVERROR_EOF) break;
    if (rc < 0) fail("video", "readable packets", av_err(rc) + " (truncated or corrupt file?)", {path});
    if (pf.pkt->stream_index == stream) {
      rc = avcodec_send_packet(c.ctx, pf.pkt);
      if (rc < 0 && rc != AVERROR(EAGAIN) && ++decoded_errors > 8)
        fail("video", "decodable packets", av_err(rc) + " (corrupt stream)", {path});
      if (rc >= 0) drain();
    }
    av_packet_unref(pf.pkt);
  }
  if (more) {
    avcodec_send_packet(c.ctx, nullptr);
    drain();
  }
}
}  // namespace

torch::Tensor VideoReader::read_audio(int sample_rate) {
  ReadingScope reading(path_);
  if (!info_.has_audio) fail("video", "an audio stream", "none", {path_});
  AVStream* st = impl_->fmt->streams[impl_->audio_stream];
  CodecCtx c;
  open_codec(c, st, path_);
  // The resampler follows each frame's own format, not the stream header's: swr_convert reads its input
  // as configured, and a frame with more channels than the header says was read past its end
  // (fuzz_video, fuzz/regressions/video/flac-channels.mkv). A stream may also change format mid-way.
  struct Resampler {
    SwrContext* swr = nullptr;
    AVChannelLayout layout{};  // the frames' layout as they give it
    int format = -1, rate = 0;
    ~Resampler() {
      swr_free(&swr);
      av_channel_layout_uninit(&layout);
    }
  } r;
  std::vector<float> out, buf;
  auto drain = [&] {  // the resampler's delay line
    for (;;) {
      buf.resize(4096);
      uint8_t* dst[1] = {reinterpret_cast<uint8_t*>(buf.data())};
      const int n = swr_convert(r.swr, dst, 4096, nullptr, 0);
      if (n <= 0) break;
      out.insert(out.end(), buf.begin(), buf.begin() + n);
    }
  };
  auto configure = [&](const AVFrame* f) {
    if (r.swr) drain();
    swr_free(&r.swr);
    av_channel_layout_uninit(&r.layout);
    if (av_channel_layout_copy(&r.layout, &f->ch_layout) < 0) fail("video", "an audio channel layout", "an invalid one", {path_});
    r.format = f->format;
    r.rate = f->sample_rate;
    // As audio files (audio_file.cpp): a tiny rate would make 16 kHz audio thousands of times longer.
    if (f->sample_rate <= 0 || static_cast<int64_t>(sample_rate) > static_cast<int64_t>(f->sample_rate) * 256)
      fail("video", "an audio sample rate of at least 1/256 of " + std::to_string(sample_rate) + " Hz",
           std::to_string(f->sample_rate) + " Hz", {path_});
    AVChannelLayout in_layout;
    if (f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || !av_channel_layout_check(&f->ch_layout))
      av_channel_layout_default(&in_layout, f->ch_layout.nb_channels);
    else
      av_channel_layout_copy(&in_layout, &f->ch_layout);
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    int rc = swr_alloc_set_opts2(&r.swr, &mono, AV_SAMPLE_FMT_FLT, sample_rate, &in_layout,
                                 static_cast<AVSampleFormat>(f->format), f->sample_rate, 0, nullptr);
    av_channel_layout_uninit(&in_layout);
    if (rc >= 0) rc = swr_init(r.swr);
    if (rc < 0)
      fail("video", "an audio resampler for this stream",
           av_err(rc) + " (" + std::to_string(f->ch_layout.nb_channels) + " channel(s) at " + std::to_string(f->sample_rate) + " Hz)",
           {path_});
  };
  decode_stream(impl_->fmt, impl_->audio_stream, c, path_, [&](AVFrame* f) {
    if (!r.swr || f->format != r.format || f->sample_rate != r.rate || av_channel_layout_compare(&f->ch_layout, &r.layout) != 0)
      configure(f);
    const int cap = swr_get_out_samples(r.swr, f->nb_samples) + 32;
    if (cap < 32) fail("video", "resampled audio", "no output size for " + std::to_string(f->nb_samples) + " samples", {path_});
    buf.resize(static_cast<size_t>(cap));
    uint8_t* dst[1] = {reinterpret_cast<uint8_t*>(buf.data())};
    const int n = swr_convert(r.swr, dst, cap, const_cast<const uint8_t**>(f->extended_data), f->nb_samples);
    if (n < 0) fail("video", "resampled audio", av_err(n), {path_});
    out.insert(out.end(), buf.begin(), buf.begin() + n);
    return true;
  });
  if (r.swr) drain();
  if (out.empty()) fail("video", "decoded audio samples", "none", {path_});
  return torch::from_blob(out.data(), {static_cast<int64_t>(out.size())}, torch::kFloat).clone();
}

std::vector<torch::Tensor> VideoReader::read_frames_at(const std::vector<double>& times) {
  ReadingScope reading(path_);
  if (!info_.has_video) fail("video", "a video stream", "none", {path_});
  std::vector<torch::Tensor> frames(times.size());
  if (times.empty()) return frames;
  AVStream* st = impl_->fmt->streams[impl_->video_stream];
  CodecCtx c;
  open_codec(c, st, path_);
  SwsContext* sws = nullptr;
  const double tb = av_q2d(st->time_base);
  const double start = st->start_time != AV_NOPTS_VALUE ? st->start_time * tb : 0.0;
  size_t next = 0;
  torch::Tensor prev;
  double prev_t = -1e300;
  auto to_rgb = [&](AVFrame* f) {
    sws = sws_getCachedContext(sws, f->width, f->height, static_cast<AVPixelFormat>(f->format), f->width, f->height,
                               AV_PIX_FMT_RGB24, SWS_BILINEAR, nullptr, nullptr, nullptr);
    if (!sws) fail("video", "a pixel-format converter", "none for this stream", {path_});
    auto hwc = torch::empty({f->height, f->width, 3}, torch::kUInt8);
    uint8_t* dst[1] = {hwc.data_ptr<uint8_t>()};
    int dst_stride[1] = {3 * f->width};
    sws_scale(sws, f->data, f->linesize, 0, f->height, dst, dst_stride);
    return hwc.permute({2, 0, 1}).contiguous();
  };
  try {
    decode_stream(impl_->fmt, impl_->video_stream, c, path_, [&](AVFrame* f) {
      const int64_t pts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
      const double t = pts != AV_NOPTS_VALUE ? pts * tb - start : prev_t + (info_.fps > 0 ? 1.0 / info_.fps : 0.04);
      torch::Tensor cur;  // converted lazily: most frames are not kept
      while (next < times.size() && t >= times[next]) {
        // Nearest of the previous frame and this one.
        if (prev.defined() && times[next] - prev_t <= t - times[next]) {
          frames[next] = prev;
        } else {
          if (!cur.defined()) cur = to_rgb(f);
          frames[next] = cur;
        }
        ++next;
      }
      if (next >= times.size()) return false;
      prev = cur.defined() ? cur : to_rgb(f);
      prev_t = t;
      return true;
    });
  } catch (...) {
    sws_freeContext(sws);
    throw;
  }
  sws_freeContext(sws);
  // Times past the last frame get the last frame (an audio track may outlast the video by a little);
  // frames missing for longer mean a cut or corrupt file, which must not pass as a padded clip.
  const double missing_ok = std::clamp(0.25 * info_.duration_s, kMinMissingVideoSeconds, kMaxMissingVideoSeconds);
  if (next < times.size() && prev.defined() && times.back() - prev_t > missing_ok)
    fail("video", "frames up to " + std::to_string(times.back()) + " s as the file's duration says",
         "the last decodable one at " + std::to_string(prev_t) + " s (truncated or corrupt file)", {path_});
  for (size_t k = next; k < times.size(); ++k) {
    if (!prev.defined()) fail("video", "decodable video frames", "none", {path_});
    frames[k] = prev;
  }
  return frames;
}

}  // namespace avtune
