// Data set presets (issue 18): each preset's layout opened from a tiny fixture in the data set's own
// format; explicit keys win over a preset; an unknown preset names the known ones.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "avtune/audio/audio_file.h"
#include "avtune/run/dataset_presets.h"
#include "avtune/run/run_spec.h"
#include "avtune/run/training_run.h"
#include "avtune/util/error.h"
#include "avtune/vision/image_io.h"
#include "../test_support.h"

using namespace avtune;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void wav(const std::string& path, double seconds = 0.5) {
  fs::create_directories(fs::path(path).parent_path());
  write_wav16(path, 0.1 * torch::sin(torch::arange(static_cast<int64_t>(seconds * 16000)).to(torch::kFloat) * 0.05).unsqueeze(0),
              16000);
}

void frames(const std::string& dir, int n = 2) {
  fs::create_directories(dir);
  for (int k = 1; k <= n; ++k)
    write_jpeg(dir + "/frame_0000" + std::to_string(k) + ".jpg", torch::full({3, 16, 16}, 40 * k, torch::kUInt8));
}

TEST(DatasetPresets, KineticsSoundsKeepsTheReferenceNormalisation) {
  const DataSettings d = data_settings_from_json(json{{"preset", "ks"}, {"root", "/data/ks"}});
  EXPECT_EQ(d.format, "ks");
  EXPECT_EQ(d.eval_split, "test");
  EXPECT_EQ(d.fbank_stats, "given");
  EXPECT_DOUBLE_EQ(d.fbank_mean, -4.503877);
  EXPECT_DOUBLE_EQ(d.fbank_std, 5.141276);
  // A key given explicitly wins over the preset's.
  EXPECT_EQ(data_settings_from_json(json{{"preset", "ks"}, {"eval_split", "val"}}).eval_split, "val");
  const std::string e = test::error_of([] { data_settings_from_json(json{{"preset", "kinetics"}}); });
  EXPECT_NE(e.find("cremad"), std::string::npos) << e;
  EXPECT_NE(e.find("'kinetics'"), std::string::npos) << e;
}

TEST(DatasetPresets, NumbersGivenWithAMeasuringPresetAreUsedAsGiven) {
  EXPECT_EQ(data_settings_from_json(json{{"preset", "cremad"}}).fbank_stats, "train");
  const DataSettings d = data_settings_from_json(json{{"preset", "cremad"}, {"fbank_mean", -2.5}});
  EXPECT_EQ(d.fbank_stats, "given");
  EXPECT_DOUBLE_EQ(d.fbank_mean, -2.5);
  EXPECT_EQ(data_settings_from_json(json::object()).fbank_stats, "train");  // no preset: measured by the run
  EXPECT_EQ(data_settings_from_json(json{{"fbank_std", 3.0}}).fbank_stats, "given");
}

// ESC-50 as it ships: audio/*.wav named fold-source-take-target and meta/esc50.csv.
TEST(DatasetPresets, Esc50OpensItsDefaultSplitsFromTheShippedLayout) {
  test::TempDir d;
  fs::create_directories(d.file("meta"));
  std::ofstream meta(d.file("meta/esc50.csv"));
  meta << "filename,fold,target,category,esc10,src_file,take\n";
  for (int fold = 1; fold <= 5; ++fold)
    for (int target : {0, 41}) {
      const std::string name = std::to_string(fold) + "-1000" + std::to_string(target) + "-A-" + std::to_string(target) + ".wav";
      meta << name << "," << fold << "," << target << "," << (target ? "chainsaw" : "dog") << ",True"
           << ",1000" << target << ",A\n";
      wav(d.file("audio/" + name));
    }
  meta.close();
  const json data = resolved_data(json{{"preset", "esc50"}, {"root", d.path.string()}, {"audio_frames", 32}, {"mel_bins", 16}});
  const DatasetSpec spec = dataset_spec_from(data, Modality::Audio);
  auto train = open_dataset(spec, data["train_split"], true);
  auto test = open_dataset(spec, data["eval_split"], false);
  EXPECT_EQ(train->size(), 8u);  // folds 1-4
  EXPECT_EQ(test->size(), 2u);   // fold 5
  EXPECT_EQ(train->class_names(), (std::vector<std::string>{"dog", "chainsaw"}));  // 2 targets: a 2-way head
  std::mt19937_64 rng(0);
  EXPECT_EQ(test->get(0, rng).audio.sizes(), (std::vector<int64_t>{1, 32, 16}));
}

// CREMA-D after preprocess: audio/<split>/, visual/<split>/ and <split>.csv of name,EMOTION rows.
TEST(DatasetPresets, CremadReadsItsCsvLists) {
  test::TempDir d;
  const std::vector<std::string> clips = {"1001_DFA_ANG_XX", "1001_DFA_HAP_XX", "1002_IEO_SAD_HI"};
  for (const char* split : {"train", "test"}) {
    std::ofstream csv(d.file(std::string(split) + ".csv"));
    csv << "\xEF\xBB\xBF" "name,label\n";
    for (const auto& c : clips) {
      csv << c << "," << c.substr(9, 3) << "\n";
      wav(d.file(std::string("audio/") + split + "/" + c + ".wav"));
      frames(d.file(std::string("visual/") + split + "/" + c));
    }
  }
  const json data = resolved_data(json{{"preset", "cremad"}, {"root", d.path.string()}, {"audio_frames", 32}, {"mel_bins", 16},
                                       {"image_size", 16}, {"frames", 2}});
  auto train = open_dataset(dataset_spec_from(data, Modality::AV), data["train_split"], true);
  EXPECT_EQ(train->size(), 3u);
  EXPECT_EQ(train->class_names(), (std::vector<std::string>{"ANG", "HAP", "SAD"}));
  EXPECT_EQ(train->name_of(0), "1001_DFA_ANG_XX");  // the byte-order mark is not part of the name
  std::mt19937_64 rng(0);
  const Sample s = train->get(2, rng);
  EXPECT_EQ(s.label, 2);
  EXPECT_EQ(s.visual.sizes(), (std::vector<int64_t>{3, 2, 16, 16}));
}

}  // namespace
