// The embedded default data: layout, determinism, balance, and that the audio really speaks.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "avtune/audio/audio_file.h"
#include "avtune/data/clip_list.h"
#include "avtune/data/dataset_spec.h"
#include "avtune/data/embedded_data.h"
#include "avtune/data/fashion_mnist.h"
#include "avtune/util/error.h"
#include "avtune/vision/image_io.h"
#include "../test_support.h"
#include "tiny_embedded.h"

using namespace avtune;
namespace fs = std::filesystem;

namespace {


std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every regular file under `root` with its bytes' hash.
std::map<std::string, size_t> tree(const fs::path& root) {
  std::map<std::string, size_t> t;
  for (auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) t[fs::relative(e.path(), root).string()] = std::hash<std::string>{}(slurp(e.path()));
  return t;
}

class EmbeddedData : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    report_ = make_embedded_data(test::tiny_embedded(dir_->file("a")));
  }
  static void TearDownTestSuite() { delete dir_; }
  static test::TempDir* dir_;
  static EmbeddedDataReport report_;
};
test::TempDir* EmbeddedData::dir_ = nullptr;
EmbeddedDataReport EmbeddedData::report_;

TEST_F(EmbeddedData, LayoutMatchesTheRealDataSets) {
  const fs::path a = dir_->file("a");
  EXPECT_TRUE(fs::exists(a / "README.md"));
  EXPECT_FALSE(fs::exists(a / ".partial-av-fashion"));
  for (const char* split : {"train", "val", "test"}) {
    auto list = read_ks_list((a / "av-fashion" / (std::string(split) + "_1fps_path.txt")).string());
    EXPECT_EQ(list.classes.size(), 10u);
    EXPECT_EQ(list.classes[9], "ankle boot");
    for (const auto& e : list.entries) {
      EXPECT_TRUE(fs::exists(a / "av-fashion" / "audio" / split / (e.name + ".wav"))) << e.name;
      EXPECT_TRUE(fs::exists(a / "av-fashion" / "visual" / split / e.name / "frame_00003.jpg")) << e.name;
    }
  }
  EXPECT_EQ(read_ks_list((a / "av-fashion" / "train_1fps_path.txt").string()).entries.size(), 40u);
  auto frame = read_image((a / "av-fashion" / "visual" / "test" / "test_00000" / "frame_00001.jpg").string());
  EXPECT_EQ(frame.sizes(), (std::vector<int64_t>{3, 32, 32}));
  // The same loaders read it.
  DatasetSpec spec;
  spec.root = (a / "av-fashion").string();
  spec.clip.audio.target_frames = 128;
  spec.clip.audio.fbank.num_mel_bins = 40;
  spec.clip.image_size = 32;
  auto ds = open_dataset(spec, "val", false);
  std::mt19937_64 rng(0);
  auto s = ds->get(0, rng);
  EXPECT_EQ(s.audio.sizes(), (std::vector<int64_t>{1, 128, 40}));
  EXPECT_EQ(s.visual.sizes(), (std::vector<int64_t>{3, 3, 32, 32}));
  spec.root = (a / "spoken-words").string();
  spec.modality = Modality::Audio;
  auto words = open_dataset(spec, "train", false);
  EXPECT_EQ(words->class_names().size(), 30u);
  EXPECT_EQ(words->size(), 60u);
  spec.root = (a / "fashion-source").string();
  spec.format = "image-folder";
  spec.clip.image_size = 32;
  auto src = open_dataset(spec, "train", true);
  EXPECT_EQ(src->size(), 100u);
  EXPECT_EQ(src->class_names().size(), 10u);
}

// Same seed, same bytes is checked across fresh processes in tests/cli/test_cli.sh: eSpeak's output
// depends on what it spoke before in the same process.
TEST_F(EmbeddedData, OtherSeedOtherBytes) {
  auto o2 = test::tiny_embedded(dir_->file("c"));
  o2.seed = 1;
  make_embedded_data(o2);
  EXPECT_NE(tree(dir_->file("a")), tree(dir_->file("c")));
}

TEST_F(EmbeddedData, SpokenWordsAreDisjointFromClassNamesAndBalanced) {
  for (const auto& w : spoken_word_list())
    for (const auto& c : fashion_mnist_spoken()) EXPECT_EQ(c.find(w), std::string::npos) << w;
  auto list = read_ks_list(dir_->file("a/spoken-words/train_1fps_path.txt"));
  std::vector<int> counts(30, 0);
  for (auto& e : list.entries) ++counts[static_cast<size_t>(e.label)];
  for (int c : counts) EXPECT_EQ(c, 2);
}

TEST_F(EmbeddedData, SpeechStandsAboveTheNoiseWhereItWasPlaced) {
  std::ifstream in(dir_->file("a/av-fashion/clips.csv"));
  std::string line;
  std::getline(in, line);
  int checked = 0, uninformative_audio = 0;
  std::set<int64_t> train_images, test_images;
  while (std::getline(in, line)) {
    std::vector<std::string> c;
    std::stringstream ss(line);
    for (std::string t; std::getline(ss, t, ',');) c.push_back(t);
    ASSERT_EQ(c.size(), 12u) << line;
    (c[1] == "test" ? test_images : train_images).insert(std::stoll(c[4]));
    if (c[10] == "0") {
      ++uninformative_audio;
      continue;
    }
    const double start = std::stod(c[6]), end = std::stod(c[7]), snr = std::stod(c[8]);
    if (snr < 5.0) continue;  // at low SNR the noise may rival the quiet parts of a word
    auto wave = read_audio(dir_->file("a/av-fashion/audio/" + c[1] + "/" + c[0] + ".wav")).samples[0];
    const int64_t s0 = static_cast<int64_t>(start * 16000), s1 = static_cast<int64_t>(end * 16000);
    const double inside = wave.slice(0, s0, s1).pow(2).mean().item<double>();
    auto outside_parts = torch::cat({wave.slice(0, 0, s0), wave.slice(0, s1)});
    if (outside_parts.numel() < 800) continue;
    const double outside = outside_parts.pow(2).mean().item<double>();
    EXPECT_GT(10 * std::log10(inside / outside), 3.0) << c[0] << " snr " << snr;
    ++checked;
  }
  EXPECT_GT(checked, 10);
  EXPECT_GT(uninformative_audio, 0);
  // Train/val and test images come from different Fashion-MNIST splits; no image repeats within a split.
  EXPECT_EQ(train_images.size(), 50u);
  EXPECT_EQ(test_images.size(), 20u);
}

TEST(EmbeddedDataErrors, MissingDebianPackageSaysHowToInstall) {
  try {
    load_fashion_mnist("train", "/nonexistent/fashion-mnist");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("apt-get install dataset-fashion-mnist"), std::string::npos) << e.what();
  }
}

TEST(EmbeddedDataErrors, FashionMnistIsTheRealDataSet) {
  auto s = load_fashion_mnist("test");
  EXPECT_EQ(s.images.sizes(), (std::vector<int64_t>{10000, 28, 28}));
  EXPECT_EQ(torch::bincount(s.labels).min().item<int64_t>(), 1000);
}

}  // namespace
