// The Kinetics-Sounds layout read end to end: real wav and JPEG files written here.
#include <gtest/gtest.h>

#include <filesystem>

#include "avtune/audio/audio_file.h"
#include "avtune/data/av_clip_dataset.h"
#include "avtune/data/image_folder_dataset.h"
#include "avtune/data/loader.h"
#include "avtune/util/error.h"
#include "avtune/vision/image_io.h"
#include "../test_support.h"

using namespace avtune;
namespace fs = std::filesystem;

namespace {

// Writes clips c0..c{n-1} with 1 s of audio and `frames` JPEGs each.
ClipList make_clips(const test::TempDir& d, int n, int frames) {
  ClipList l;
  l.source = d.file("list.txt");
  l.classes = {"a", "b"};
  for (int i = 0; i < n; ++i) {
    const std::string name = "c" + std::to_string(i);
    auto t = torch::arange(16000, torch::kFloat) / 16000.0;
    write_wav16(d.file("audio/" + name + ".wav"), 0.3 * torch::sin(2 * M_PI * (220.0 * (i + 1)) * t), 16000);
    fs::create_directories(d.file("frames/" + name));
    for (int k = 1; k <= frames; ++k) {
      auto img = torch::full({3, 40, 60}, 20 * k + i, torch::kUInt8);
      char fn[32];
      std::snprintf(fn, sizeof fn, "frame_%05d.jpg", k);
      write_jpeg(d.file("frames/" + name + "/" + fn), img, 95);
    }
    l.entries.push_back({name, i % 2, i + 1});
  }
  return l;
}

AVClipOptions small_opts(const test::TempDir& d) {
  AVClipOptions o;
  o.audio_dir = d.file("audio");
  o.visual_dir = d.file("frames");
  o.audio.target_frames = 64;
  o.audio.fbank.num_mel_bins = 32;
  o.image_size = 32;
  return o;
}

TEST(AVClipDataset, LoadsBothModalitiesInExplicitLayouts) {
  test::TempDir d;
  auto list = make_clips(d, 4, 6);
  auto ds = std::make_shared<AVClipDataset>(list, small_opts(d));
  std::mt19937_64 rng(1);
  auto s = ds->get(2, rng);
  EXPECT_EQ(s.name, "c2");
  EXPECT_EQ(s.label, 0);
  EXPECT_EQ(s.audio.sizes(), (std::vector<int64_t>{1, 64, 32}));
  EXPECT_EQ(s.visual.sizes(), (std::vector<int64_t>{3, 3, 32, 32}));
  // Eval picks the reference's frame of each of 3 segments of 6 frames: frames 1, 3, 5 (1-based;
  // issue 16: the centred rule's 2, 4, 6 were not the reference's). Their grey levels 20k + 2 survive
  // JPEG within a few levels after normalisation is undone.
  for (int t = 0; t < 3; ++t) {
    const double v = (s.visual[0][t].mean().item<double>() * 0.229 + 0.485) * 255.0;
    EXPECT_NEAR(v, 20 * (2 * t + 1) + 2, 3.0) << "segment " << t;
  }
  // The centred rule, by name: frames 2, 4, 6.
  auto centred_opts = small_opts(d);
  centred_opts.frame_sampling = FrameSamplingRule::Centred;
  const auto centred = AVClipDataset(list, centred_opts).get(2, rng);
  for (int t = 0; t < 3; ++t) {
    const double v = (centred.visual[0][t].mean().item<double>() * 0.229 + 0.485) * 255.0;
    EXPECT_NEAR(v, 20 * (2 * t + 2) + 2, 3.0) << "segment " << t;
  }
  LoaderOptions lo;
  lo.batch_size = 3;
  DataLoader dl(ds, lo);
  dl.start_epoch(0);
  auto b = dl.next();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->audio.sizes(), (std::vector<int64_t>{3, 1, 64, 32}));
  EXPECT_EQ(b->visual.sizes(), (std::vector<int64_t>{3, 3, 3, 32, 32}));
}

TEST(AVClipDataset, ModalityViewsAndTrainRandomnessIsSeeded) {
  test::TempDir d;
  auto list = make_clips(d, 2, 9);
  auto o = small_opts(d);
  o.modality = Modality::Audio;
  AVClipDataset audio_only(list, o);
  std::mt19937_64 r1(5);
  auto a = audio_only.get(0, r1);
  EXPECT_TRUE(a.audio.defined());
  EXPECT_FALSE(a.visual.defined());
  o.modality = Modality::Visual;
  o.train = true;
  AVClipDataset vis(list, o);
  std::mt19937_64 ra(9), rb(9);
  auto v1 = vis.get(1, ra), v2 = vis.get(1, rb);
  EXPECT_FALSE(v1.audio.defined());
  EXPECT_TRUE(torch::equal(v1.visual, v2.visual));
}

TEST(AVClipDataset, MissingFilesNameThePath) {
  test::TempDir d;
  auto list = make_clips(d, 2, 3);
  fs::remove(d.file("audio/c1.wav"));
  // Opening the list fails at once, naming the file and the list line (not mid-epoch).
  try {
    AVClipDataset(list, small_opts(d));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("c1.wav"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("1 of 2 missing"), std::string::npos) << e.what();
  }
  // With missing files allowed (--skip-bad), loading that clip fails naming it.
  auto lenient = small_opts(d);
  lenient.allow_missing = true;
  AVClipDataset ds(list, lenient);
  std::mt19937_64 rng(0);
  try {
    ds.get(1, rng);
    FAIL() << "no error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("c1.wav"), std::string::npos) << e.what();
  }
  auto o = small_opts(d);
  o.visual_dir = d.file("nope");
  EXPECT_THROW(AVClipDataset(list, o), Error);
}

TEST(ImageFolderDataset, ClassesFromFolders) {
  test::TempDir d;
  for (const char* c : {"shirt", "boot"})
    for (int i = 0; i < 2; ++i) {
      fs::create_directories(d.file(c));
      write_png(d.file(std::string(c) + "/" + std::to_string(i) + ".png"), torch::full({3, 28, 28}, 100 * i, torch::kUInt8));
    }
  ImageFolderOptions o;
  o.image_size = 32;
  ImageFolderDataset ds(d.path.string(), o);
  EXPECT_EQ(ds.class_names(), (std::vector<std::string>{"boot", "shirt"}));
  EXPECT_EQ(ds.size(), 4u);
  EXPECT_EQ(ds.label_of(3), 1);
  std::mt19937_64 rng(0);
  EXPECT_EQ(ds.get(0, rng).visual.sizes(), (std::vector<int64_t>{3, 1, 32, 32}));
  EXPECT_EQ(class_counts(ds), (std::vector<int64_t>{2, 2}));
}

}  // namespace
