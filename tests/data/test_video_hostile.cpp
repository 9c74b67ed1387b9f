// Cut and lying video files (issue 17): an mp4 or mkv cut in half is listed as failed, never written
// as a shorter clip padded with its last frame; a header claiming a huge duration is refused before
// any per-second work. The files are made here with the ffmpeg program and cut or patched by the test.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "avtune/data/video_preprocess.h"
#include "avtune/io/video_reader.h"
#include "avtune/util/error.h"
#include "../test_support.h"

using namespace avtune;
namespace fs = std::filesystem;

namespace {

void sh(const std::string& cmd) { ASSERT_EQ(std::system((cmd + " >/dev/null 2>&1").c_str()), 0) << cmd; }

// A small test pattern with a tone; `extra` adds output options (e.g. mp4's index up front, so a cut
// file still opens and the cut shows only while decoding).
void make_video(const std::string& path, double seconds, const std::string& extra = "") {
  const std::string s = std::to_string(seconds);
  sh("ffmpeg -nostdin -y -f lavfi -i testsrc=size=32x32:rate=25:duration=" + s +
     " -f lavfi -i sine=frequency=440:sample_rate=16000:duration=" + s + " -pix_fmt yuv420p -shortest " + extra + " " + path);
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

void write_bytes(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(VideoHostile, ClipsCutInHalfAreListedAsFailedNotWrittenShort) {
  test::TempDir d;
  fs::create_directories(d.file("in"));
  // Long and short clips, both containers; mp4 with its index first (a cut mp4 with the index at its
  // end does not even open).
  for (const double s : {10.0, 3.0}) {
    const std::string tag = std::to_string(static_cast<int>(s));
    make_video(d.file("full" + tag + ".mkv"), s);
    make_video(d.file("full" + tag + ".mp4"), s, "-movflags +faststart");
    for (const std::string ext : {".mkv", ".mp4"}) {
      const std::string all = read_bytes(d.file("full" + tag + ext));
      write_bytes(d.file("in/half" + tag + ext), all.substr(0, all.size() / 2));
    }
  }
  PreprocessOptions o;
  o.input_dir = d.file("in");
  o.output_dir = d.file("out");
  o.quiet = true;
  const auto rep = preprocess_videos(o);
  EXPECT_EQ(rep.processed, 0) << rep.summary();
  ASSERT_EQ(rep.failures.size(), 4u) << rep.summary();
  for (const auto& [path, why] : rep.failures) {
    EXPECT_NE(why.find(path), std::string::npos) << why;  // the reason names the file
    const std::string name = fs::path(path).stem().string();
    EXPECT_FALSE(fs::exists(d.file("out/audio/train/" + name + ".wav"))) << name;
    EXPECT_FALSE(fs::exists(d.file("out/visual/train/" + name))) << name;
  }

  // The uncut files still pass (the check does not refuse whole clips).
  fs::create_directories(d.file("whole"));
  for (const std::string f : {"full3.mkv", "full3.mp4", "full10.mkv"})  // stems differ: a clip per file
    fs::copy_file(d.file(f), d.file("whole/" + fs::path(f).extension().string().substr(1) + "-" + f));
  o.input_dir = d.file("whole");
  const auto good = preprocess_videos(o);
  EXPECT_EQ(good.processed, 3) << good.summary();
  EXPECT_TRUE(good.failures.empty()) << good.summary();
}

TEST(VideoHostile, AHugeDeclaredDurationIsRefusedQuickly) {
  test::TempDir d;
  make_video(d.file("short.mkv"), 2.0);
  const std::string all = read_bytes(d.file("short.mkv"));
  // Matroska's segment Duration (element 0x4489, 8-byte big-endian float, in milliseconds here).
  const size_t at = all.find(std::string("\x44\x89\x88", 3));
  ASSERT_NE(at, std::string::npos);
  auto with_duration_ms = [&](double ms) {
    std::string b = all;
    uint64_t bits;
    std::memcpy(&bits, &ms, 8);
    for (int k = 0; k < 8; ++k) b[at + 3 + k] = static_cast<char>((bits >> (56 - 8 * k)) & 0xff);
    return b;
  };
  write_bytes(d.file("huge.mkv"), with_duration_ms(1e12));  // 10^9 s
  const auto t0 = std::chrono::steady_clock::now();
  const std::string m = error_of([&] { VideoReader r(d.file("huge.mkv")); });
  EXPECT_NE(m.find("huge.mkv"), std::string::npos) << m;
  EXPECT_NE(m.find("duration under"), std::string::npos) << m;

  // Under the cap but far longer than the streams: a cut file, not 10 hours of padded frames.
  write_bytes(d.file("long.mkv"), with_duration_ms(36e6));
  const std::string m2 = error_of([&] {
    VideoReader r(d.file("long.mkv"));
    r.read_frames_at(centre_of_seconds(r.info().duration_s));
  });
  EXPECT_NE(m2.find("long.mkv"), std::string::npos) << m2;
  EXPECT_NE(m2.find("truncated or corrupt"), std::string::npos) << m2;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 30.0);
}
