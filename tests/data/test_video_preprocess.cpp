// Preprocessing real small videos made here with the ffmpeg program: with audio, without audio,
// truncated; then the result is read back through the list/dataset path.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "avtune/audio/audio_file.h"
#include "avtune/data/clip_list.h"
#include "avtune/data/video_preprocess.h"
#include "avtune/io/video_reader.h"
#include "avtune/vision/frame_sampling.h"
#include "avtune/vision/image_io.h"
#include "../test_support.h"

using namespace avtune;
namespace fs = std::filesystem;

namespace {

void sh(const std::string& cmd) {
  ASSERT_EQ(std::system((cmd + " >/dev/null 2>&1").c_str()), 0) << cmd;
}

// 3.2 s: a test pattern at 25 fps with a 440 Hz tone at 44.1 kHz stereo.
void make_video(const std::string& path, bool audio, double seconds = 3.2) {
  std::string cmd = "ffmpeg -nostdin -y -f lavfi -i testsrc=size=96x64:rate=25:duration=" + std::to_string(seconds);
  if (audio) cmd += " -f lavfi -i sine=frequency=440:sample_rate=44100:duration=" + std::to_string(seconds) + " -ac 2";
  cmd += " -pix_fmt yuv420p -shortest " + path;
  sh(cmd);
}

TEST(VideoPreprocess, WritesTheKineticsLayoutAndReportsBadClips) {
  test::TempDir d;
  fs::create_directories(d.file("in"));
  make_video(d.file("in/good.mp4"), true);
  make_video(d.file("in/other.mkv"), true, 2.5);
  make_video(d.file("in/silent.mp4"), false);
  {  // truncated copy of a good file
    std::ifstream in(d.file("in/good.mp4"), std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(d.file("in/broken.mp4"), std::ios::binary) << all.substr(0, all.size() / 3);
  }
  std::ofstream(d.file("labels.csv")) << "good,beep\nother,tone\nsilent,beep\nbroken,tone\n";
  PreprocessOptions o;
  o.input_dir = d.file("in");
  o.output_dir = d.file("out");
  o.split = "test";
  o.labels_csv = d.file("labels.csv");
  o.quiet = true;
  auto rep = preprocess_videos(o);
  EXPECT_EQ(rep.processed, 2) << rep.summary();
  ASSERT_EQ(rep.failures.size(), 2u) << rep.summary();
  EXPECT_NE(rep.failures[0].first.find("broken.mp4"), std::string::npos);
  EXPECT_NE(rep.failures[1].first.find("silent.mp4"), std::string::npos);
  EXPECT_NE(rep.failures[1].second.find("audio stream"), std::string::npos) << rep.failures[1].second;
  EXPECT_FALSE(fs::exists(d.file("out/visual/test/broken.partial")));
  EXPECT_FALSE(fs::exists(d.file("out/audio/test/silent.wav")));

  auto clip = read_audio(d.file("out/audio/test/good.wav"));
  EXPECT_EQ(clip.sample_rate, 16000);
  EXPECT_EQ(clip.samples.size(0), 1);
  EXPECT_NEAR(clip.samples.size(1), 3.2 * 16000, 800);
  // The tone survives: most energy near 440 Hz.
  auto spec = torch::fft::rfft(clip.samples[0].slice(0, 0, 16000)).abs();
  EXPECT_NEAR(spec.argmax().item<int64_t>(), 440, 3);

  auto frames = list_clip_frames(d.file("out/visual/test/good"));
  EXPECT_EQ(frames.size(), 3u);  // seconds 0, 1, 2 of a 3.2 s clip
  EXPECT_EQ(list_clip_frames(d.file("out/visual/test/other")).size(), 2u);
  auto img = read_image(frames[0]);
  EXPECT_EQ(img.sizes(), (std::vector<int64_t>{3, 64, 96}));

  auto list = read_ks_list(rep.list_file);
  ASSERT_EQ(list.entries.size(), 2u);
  EXPECT_EQ(list.classes, (std::vector<std::string>{"beep", "tone"}));
  EXPECT_EQ(list.entries[0].name, "good");
  EXPECT_EQ(list.entries[1].label, 1);

  // A second run skips what is done.
  auto again = preprocess_videos(o);
  EXPECT_EQ(again.processed, 0);
  EXPECT_EQ(again.already_done, 2);
}

// Issue 18: about half of UCF-101's videos have no sound track; without --visual-only the failure says
// so and names the flag, with it every video's frames are kept and no wav is written.
TEST(VideoPreprocess, VisualOnlyKeepsVideosWithoutSound) {
  test::TempDir d;
  fs::create_directories(d.file("in"));
  make_video(d.file("in/loud.mp4"), true, 2.2);
  make_video(d.file("in/mute.mp4"), false, 2.2);
  std::ofstream(d.file("labels.csv")) << "loud,a\nmute,b\n";
  PreprocessOptions o;
  o.input_dir = d.file("in");
  o.output_dir = d.file("av");
  o.labels_csv = d.file("labels.csv");
  o.quiet = true;
  auto rep = preprocess_videos(o);
  EXPECT_EQ(rep.processed, 1);
  ASSERT_EQ(rep.failures.size(), 1u) << rep.summary();
  EXPECT_NE(rep.failures[0].first.find("mute.mp4"), std::string::npos);
  const std::string summary = rep.summary();
  EXPECT_NE(summary.find("mute.mp4: preprocess: expected an audio stream, got none (--visual-only"), std::string::npos)
      << summary;

  o.output_dir = d.file("vis");
  o.visual_only = true;
  rep = preprocess_videos(o);
  EXPECT_EQ(rep.processed, 2) << rep.summary();
  EXPECT_TRUE(rep.failures.empty()) << rep.summary();
  EXPECT_FALSE(fs::exists(d.file("vis/audio")));  // frames only
  EXPECT_EQ(list_clip_frames(d.file("vis/visual/train/mute")).size(), 2u);
  EXPECT_EQ(list_clip_frames(d.file("vis/visual/train/loud")).size(), 2u);
  EXPECT_EQ(read_ks_list(rep.list_file).entries.size(), 2u);
  auto again = preprocess_videos(o);  // done means frames there: nothing redone
  EXPECT_EQ(again.processed, 0);
  EXPECT_EQ(again.already_done, 2);
}

// Issue 18: each split's labels CSV used to rewrite classes.txt, renumbering the other split.
TEST(VideoPreprocess, ASplitsClassesAreMergedNeverRenumbered) {
  test::TempDir d;
  for (const char* split : {"train", "test"}) {
    fs::create_directories(d.file(std::string("in-") + split));
    for (const char* n : {"a", "b", "c"}) make_video(d.file(std::string("in-") + split + "/" + split + "_" + n + ".mp4"), true, 1.2);
  }
  std::ofstream(d.file("train.csv")) << "train_a,dog\ntrain_b,cat\ntrain_c,zebra\n";
  std::ofstream(d.file("test.csv")) << "test_a,dog\ntest_b,emu\ntest_c,zebra\n";
  PreprocessOptions o;
  o.output_dir = d.file("out");
  o.quiet = true;
  o.input_dir = d.file("in-train");
  o.labels_csv = d.file("train.csv");
  o.split = "train";
  const auto first = preprocess_videos(o);
  EXPECT_TRUE(first.new_classes.empty());
  o.input_dir = d.file("in-test");
  o.labels_csv = d.file("test.csv");
  o.split = "test";
  const auto second = preprocess_videos(o);
  EXPECT_EQ(second.new_classes, (std::vector<std::string>{"emu"}));
  EXPECT_NE(second.summary().find("emu"), std::string::npos) << second.summary();

  const auto train = read_ks_list(d.file("out/train_1fps_path.txt"));
  const auto test = read_ks_list(d.file("out/test_1fps_path.txt"));
  const std::vector<std::string> classes = {"cat", "dog", "zebra", "emu"};  // train's sorted set, then emu appended
  EXPECT_EQ(train.classes, classes);
  EXPECT_EQ(test.classes, classes);
  auto label_of = [](const ClipList& l, const std::string& name) {
    for (const auto& e : l.entries)
      if (e.name == name) return l.classes.at(static_cast<size_t>(e.label));
    return std::string("?");
  };
  EXPECT_EQ(label_of(train, "train_a"), "dog");
  EXPECT_EQ(label_of(train, "train_c"), "zebra");
  EXPECT_EQ(label_of(test, "test_a"), "dog");
  EXPECT_EQ(label_of(test, "test_b"), "emu");
  EXPECT_EQ(label_of(test, "test_c"), "zebra");

  // Re-running the train split keeps the merged set (and so the test split's labels).
  o.input_dir = d.file("in-train");
  o.labels_csv = d.file("train.csv");
  o.split = "train";
  preprocess_videos(o);
  EXPECT_EQ(read_ks_list(d.file("out/test_1fps_path.txt")).classes, classes);
}

// CREMA-D ships .flv: any container FFmpeg reads is processed; other files are listed as skipped;
// a failing path appears once in the summary; --frame-size scales the shorter side down.
TEST(VideoPreprocess, AcceptsWhatFfmpegReadsAndListsWhatItSkips) {
  test::TempDir d;
  fs::create_directories(d.file("in"));
  sh("ffmpeg -nostdin -y -f lavfi -i testsrc=size=96x64:rate=10:duration=1.5 -f lavfi -i sine=duration=1.5:sample_rate=22050 "
     "-shortest -c:v flv -c:a adpcm_swf " + d.file("in/1001_DFA_ANG_XX.flv"));
  make_video(d.file("in/clip.mp4"), true, 1.5);
  std::ofstream(d.file("in/README.txt")) << "not a video\n";
  std::ofstream(d.file("in/odd.xyz")) << "not a video either, and FFmpeg will say so\n";
  PreprocessOptions o;
  o.input_dir = d.file("in");
  o.output_dir = d.file("out");
  o.frame_size = 32;
  o.quiet = true;
  const auto rep = preprocess_videos(o);
  EXPECT_EQ(rep.processed, 2) << rep.summary();
  ASSERT_EQ(rep.skipped.size(), 1u) << rep.summary();
  EXPECT_NE(rep.skipped[0].first.find("README.txt"), std::string::npos);
  ASSERT_EQ(rep.failures.size(), 1u) << rep.summary();
  const std::string summary = rep.summary();
  EXPECT_NE(summary.find("README.txt"), std::string::npos) << summary;
  size_t count = 0;
  for (size_t at = 0; (at = summary.find("odd.xyz", at)) != std::string::npos; ++at) ++count;
  EXPECT_EQ(count, 1u) << summary;
  const auto frames = list_clip_frames(d.file("out/visual/train/1001_DFA_ANG_XX"));
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(read_image(frames[0]).sizes(), (std::vector<int64_t>{3, 32, 48}));  // 96x64 -> shorter side 32
  EXPECT_TRUE(fs::exists(d.file("out/audio/train/1001_DFA_ANG_XX.wav")));

  // A folder with no candidate at all says what it found.
  fs::create_directories(d.file("none"));
  std::ofstream(d.file("none/notes.txt")) << "x\n";
  o.input_dir = d.file("none");
  try {
    preprocess_videos(o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("flv"), std::string::npos) << e.what();
  }
}

TEST(VideoPreprocess, FramesAreTakenAtTheCentreOfEachSecond) {
  EXPECT_EQ(centre_of_seconds(3.2), (std::vector<double>{0.5, 1.5, 2.5}));
  EXPECT_EQ(centre_of_seconds(0.4), (std::vector<double>{0.2}));
  test::TempDir d;
  // A clip whose frame N (25 fps) has luma 16 + 40 * floor(N / 12): each ~half-second has its own level.
  sh("ffmpeg -nostdin -y -f lavfi -i color=black:size=32x32:rate=25:duration=2 -vf \"geq=lum='16+40*floor(N/12)':cb=128:cr=128\" "
     "-pix_fmt yuv420p -c:v libx264 -qp 0 " + d.file("ramp.mp4"));
  VideoReader r(d.file("ramp.mp4"));
  auto f = r.read_frames_at({0.5, 1.5});
  ASSERT_EQ(f.size(), 2u);
  // t = 0.5 s lies between frames 12 and 13 (step 1); t = 1.5 s between 37 and 38 (step 3).
  // Limited-range luma: RGB = (Y - 16) * 255 / 219.
  EXPECT_NEAR(f[0].to(torch::kFloat).mean().item<double>(), 40 * 255.0 / 219, 2.5);
  EXPECT_NEAR(f[1].to(torch::kFloat).mean().item<double>(), 120 * 255.0 / 219, 2.5);
}

}  // namespace
