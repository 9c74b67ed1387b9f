// Data set presets (issue 18): each preset's layout opened from a tiny fixture in the data set's own
// format; explicit keys win over a preset; an unknown preset names the known ones.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "avtune/audio/audio_file.h"
#include "avtune/data/fbank_stats.h"
#include "avtune/data/shipped_lists.h"
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
  // CREMA-D's six emotions in the lab's order, whichever the CSV has.
  EXPECT_EQ(train->class_names(), (std::vector<std::string>{"NEU", "HAP", "SAD", "FEA", "DIS", "ANG"}));
  EXPECT_EQ(train->name_of(0), "1001_DFA_ANG_XX");  // the byte-order mark is not part of the name
  EXPECT_EQ(train->label_of(0), 5);                 // ANG
  EXPECT_EQ(train->label_of(1), 1);                 // HAP
  std::mt19937_64 rng(0);
  const Sample s = train->get(2, rng);
  EXPECT_EQ(s.label, 2);  // SAD
  EXPECT_EQ(s.visual.sizes(), (std::vector<int64_t>{3, 2, 16, 16}));
}

// CREMA-D without a labels CSV: the emotion is the third field of each clip's name.
TEST(DatasetPresets, CremadWithoutACsvTakesTheEmotionFromTheFileNames) {
  test::TempDir d;
  for (const char* c : {"1091_WSI_NEU_XX", "1001_DFA_ANG_XX", "1002_IEO_FEA_HI", "1003_TIE_DIS_LO"}) {
    wav(d.file(std::string("audio/train/") + c + ".wav"));
    frames(d.file(std::string("visual/train/") + c));
  }
  const json data = resolved_data(json{{"preset", "cremad"}, {"root", d.path.string()}, {"audio_frames", 32}, {"mel_bins", 16},
                                       {"image_size", 16}, {"frames", 2}});
  for (Modality m : {Modality::Audio, Modality::Visual, Modality::AV}) {
    auto train = open_dataset(dataset_spec_from(data, m), "train", true);
    ASSERT_EQ(train->size(), 4u);
    EXPECT_EQ(train->class_names().size(), 6u);
    // Sorted by name: 1001 ANG, 1002 FEA, 1003 DIS, 1091 NEU.
    EXPECT_EQ(train->name_of(0), "1001_DFA_ANG_XX");
    EXPECT_EQ(train->label_of(0), 5);
    EXPECT_EQ(train->label_of(1), 3);
    EXPECT_EQ(train->label_of(2), 4);
    EXPECT_EQ(train->label_of(3), 0);
  }
  EXPECT_EQ(cremad_emotion("1001_DFA_HAP_XX"), "HAP");
  EXPECT_EQ(cremad_emotion("1001_DFA_XYZ_XX"), "");
  EXPECT_EQ(cremad_emotion("clip7"), "");
  // A clip whose name holds no emotion fails when the split is opened, naming it.
  wav(d.file("audio/train/holiday.wav"));
  const std::string e = test::error_of([&] { open_dataset(dataset_spec_from(data, Modality::Audio), "train", true); });
  EXPECT_NE(e.find("'holiday'"), std::string::npos) << e;
}

// AVE as it ships: Annotations.txt (header + Category&VideoID&Quality&StartTime&EndTime) and
// trainSet/valSet/testSet.txt; the videos AVE/<VideoID>.mp4, preprocessed into audio/all, visual/all.
TEST(DatasetPresets, AveReadsItsAmpersandSplitFiles) {
  test::TempDir d;
  const std::vector<std::string> train = {"Church bell&RUTK1ZkFg5k&good&0&10", "Male speech, man speaking&-0gSULEgw4E&good&2&9",
                                          "Bark&sMGK2bG5Pb8&good&0&6", "Church bell&4b8H3f0dO9Q&good&1&10"},
                                 val = {"Bark&-WfxV2dFc5g&good&3&10"},
                                 test = {"Bark&0mI6AB2oLuc&good&0&10", "Church bell&x5dT2RPYmhQ&good&4&8",
                                         "Male speech, man speaking&Yi1hRH9r2zk&good&0&10"};
  auto write = [&](const std::string& name, const std::vector<std::string>& lines, const std::string& header = "") {
    std::ofstream f(d.file(name));
    if (!header.empty()) f << header << "\r\n";
    for (const auto& l : lines) f << l << "\r\n";
  };
  write("trainSet.txt", train);
  write("valSet.txt", val);
  write("testSet.txt", test);
  std::vector<std::string> all = train;
  all.insert(all.end(), val.begin(), val.end());
  all.insert(all.end(), test.begin(), test.end());
  write("Annotations.txt", all, "Category&VideoID&Quality&StartTime&EndTime");
  for (const auto& l : all) {
    const std::string id = l.substr(l.find('&') + 1, 11);
    wav(d.file("audio/all/" + id + ".wav"));
    frames(d.file("visual/all/" + id));
  }
  const json data = resolved_data(json{{"preset", "ave"}, {"root", d.path.string()}, {"audio_frames", 32}, {"mel_bins", 16},
                                       {"image_size", 16}, {"frames", 2}});
  EXPECT_EQ(data["format"], "ave");
  const DatasetSpec spec = dataset_spec_from(data, Modality::AV);
  auto tr = open_dataset(spec, data["train_split"], true);
  auto te = open_dataset(spec, data["eval_split"], false);
  auto va = open_dataset(spec, "val", false);
  EXPECT_EQ(tr->size(), 4u);
  EXPECT_EQ(va->size(), 1u);
  EXPECT_EQ(te->size(), 3u);
  // Numbered as the lab's loaders do: in order of first appearance in testSet.txt.
  const std::vector<std::string> classes = {"Bark", "Church bell", "Male speech, man speaking"};
  EXPECT_EQ(tr->class_names(), classes);
  EXPECT_EQ(te->class_names(), classes);
  EXPECT_EQ(tr->name_of(1), "-0gSULEgw4E");
  EXPECT_EQ(tr->label_of(0), 1);
  EXPECT_EQ(tr->label_of(1), 2);
  EXPECT_EQ(tr->label_of(2), 0);
  EXPECT_EQ(va->name_of(0), "-WfxV2dFc5g");
  std::mt19937_64 rng(0);
  const Sample s = te->get(2, rng);
  EXPECT_EQ(s.label, 2);
  EXPECT_EQ(s.audio.sizes(), (std::vector<int64_t>{1, 32, 16}));
  EXPECT_EQ(s.visual.sizes(), (std::vector<int64_t>{3, 2, 16, 16}));
  // A malformed line is named with its file and line.
  write("valSet.txt", {"Bark&-WfxV2dFc5g&good&3&10", "Bark -WfxV2dFc5g"});
  const std::string e = test::error_of([&] { open_dataset(spec, "val", false); });
  EXPECT_NE(e.find("valSet.txt:2"), std::string::npos) << e;
}

// VGGSound as it ships: vggsound.csv, headerless youtube_id,start_seconds,label,split rows (labels
// with a comma quoted); downloaded clips named <id>_<start, 6 digits>.mp4.
TEST(DatasetPresets, VggsoundReadsItsCsvAndClipNames) {
  test::TempDir d;
  {
    std::ofstream csv(d.file("vggsound.csv"));
    csv << "---g-f_I2yQ,1,people marching,test\n"
           "--0PQM4-hqg,30,waterfall burbling,train\n"
           "-0BIyqJj9ZU,30,\"cattle, bovinae cowbell\",train\n"
           "-1VWDbUE3qE,0,cattle mooing,train\n"
           "0Zr6lWj-Ibg,120,cattle mooing,test\n";
  }
  for (const char* c : {"---g-f_I2yQ_000001", "--0PQM4-hqg_000030", "-0BIyqJj9ZU_000030", "-1VWDbUE3qE_000000", "0Zr6lWj-Ibg_000120"})
    wav(d.file(std::string("audio/all/") + c + ".wav"));
  const json data = resolved_data(json{{"preset", "vggsound"}, {"root", d.path.string()}, {"audio_frames", 32}, {"mel_bins", 16}});
  const DatasetSpec spec = dataset_spec_from(data, Modality::Audio);
  auto tr = open_dataset(spec, data["train_split"], true);
  auto te = open_dataset(spec, data["eval_split"], false);
  ASSERT_EQ(tr->size(), 3u);
  ASSERT_EQ(te->size(), 2u);
  // Every label of the file, sorted: "cattle mooing" sorts before "cattle, bovinae cowbell".
  const std::vector<std::string> classes = {"cattle mooing", "cattle, bovinae cowbell", "people marching", "waterfall burbling"};
  EXPECT_EQ(tr->class_names(), classes);
  EXPECT_EQ(te->class_names(), classes);
  EXPECT_EQ(tr->name_of(0), "--0PQM4-hqg_000030");
  EXPECT_EQ(tr->label_of(0), 3);
  EXPECT_EQ(tr->label_of(1), 1);
  EXPECT_EQ(tr->label_of(2), 0);
  EXPECT_EQ(te->name_of(0), "---g-f_I2yQ_000001");
  EXPECT_EQ(te->label_of(0), 2);
  EXPECT_EQ(te->name_of(1), "0Zr6lWj-Ibg_000120");
  EXPECT_EQ(te->label_of(1), 0);
  // A split the file does not have names the ones it has.
  const std::string e = test::error_of([&] { open_dataset(spec, "val", false); });
  EXPECT_NE(e.find("only splits test, train"), std::string::npos) << e;
}

// UCF-101 as it ships: ucfTrainTestlist/classInd.txt, trainlist01.txt (path and 1-based index) and
// testlist01.txt (path alone); the videos UCF-101/<Class>/v_<Class>_gNN_cNN.avi.
TEST(DatasetPresets, Ucf101ReadsItsSplitLists) {
  test::TempDir d;
  fs::create_directories(d.file("ucfTrainTestlist"));
  auto write = [&](const std::string& name, const std::string& text) { std::ofstream(d.file("ucfTrainTestlist/" + name)) << text; };
  write("classInd.txt", "1 ApplyEyeMakeup\r\n2 ApplyLipstick\r\n3 Archery\r\n");
  write("trainlist01.txt", "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1\r\nArchery/v_Archery_g09_c02.avi 3\r\n"
                           "ApplyLipstick/v_ApplyLipstick_g10_c01.avi 2\r\n");
  write("testlist01.txt", "ApplyLipstick/v_ApplyLipstick_g01_c01.avi\r\nArchery/v_Archery_g02_c03.avi\r\n");
  write("trainlist02.txt", "Archery/v_Archery_g01_c01.avi 3\r\n");
  for (const char* c : {"v_ApplyEyeMakeup_g08_c01", "v_Archery_g09_c02", "v_ApplyLipstick_g10_c01", "v_ApplyLipstick_g01_c01",
                        "v_Archery_g02_c03", "v_Archery_g01_c01"})
    frames(d.file(std::string("visual/all/") + c));
  const json data = resolved_data(json{{"preset", "ucf101"}, {"root", d.path.string()}, {"image_size", 16}, {"frames", 2}});
  const DatasetSpec spec = dataset_spec_from(data, Modality::Visual);  // half of UCF-101's videos have no sound
  auto tr = open_dataset(spec, data["train_split"], true);
  auto te = open_dataset(spec, data["eval_split"], false);
  ASSERT_EQ(tr->size(), 3u);
  ASSERT_EQ(te->size(), 2u);
  EXPECT_EQ(tr->class_names(), (std::vector<std::string>{"ApplyEyeMakeup", "ApplyLipstick", "Archery"}));
  EXPECT_EQ(tr->name_of(1), "v_Archery_g09_c02");
  EXPECT_EQ(tr->label_of(1), 2);
  EXPECT_EQ(te->name_of(0), "v_ApplyLipstick_g01_c01");
  EXPECT_EQ(te->label_of(0), 1);  // from the folder: the test list has no index
  EXPECT_EQ(te->label_of(1), 2);
  auto tr2 = open_dataset(spec, "train2", true);
  ASSERT_EQ(tr2->size(), 1u);
  EXPECT_EQ(tr2->name_of(0), "v_Archery_g01_c01");
  std::mt19937_64 rng(0);
  EXPECT_EQ(te->get(0, rng).visual.sizes(), (std::vector<int64_t>{3, 2, 16, 16}));
  // An index that disagrees with the folder is named with its line.
  write("trainlist03.txt", "Archery/v_Archery_g01_c01.avi 3\r\nArchery/v_Archery_g02_c03.avi 1\r\n");
  const std::string e = test::error_of([&] { open_dataset(spec, "train3", true); });
  EXPECT_NE(e.find("trainlist03.txt:2"), std::string::npos) << e;
  EXPECT_NE(e.find("Archery"), std::string::npos) << e;
}

}  // namespace

namespace {

// The training split's fbank statistics are measured once and cached, keyed by the shipped list:
// a second run reads them back; a changed list measures again.
TEST(DatasetPresets, MeasuredStatisticsAreCachedAndFollowTheShippedList) {
  test::TempDir d;
  auto write_csv = [&](int rows) {
    std::ofstream csv(d.file("vggsound.csv"));
    for (int k = 0; k < rows; ++k) csv << "clip" << k << ",10,dog barking," << (k == 0 ? "test" : "train") << "\n";
  };
  for (int k = 0; k < 4; ++k) wav(d.file("audio/all/clip" + std::to_string(k) + "_000010.wav"), 0.3 + 0.2 * k);
  write_csv(3);
  const json data = resolved_data(json{{"preset", "vggsound"}, {"root", d.path.string()}, {"audio_frames", 32}, {"mel_bins", 16}});
  const DatasetSpec spec = dataset_spec_from(data, Modality::Audio);
  const std::string cache = d.file("cache");
  bool cached = true;
  const FbankStats a = cached_fbank_statistics(spec, "train", 1, false, &cached, cache);
  EXPECT_FALSE(cached);
  EXPECT_EQ(a.clips, 2);
  const FbankStats b = cached_fbank_statistics(spec, "train", 1, false, &cached, cache);
  EXPECT_TRUE(cached);
  EXPECT_DOUBLE_EQ(a.mean, b.mean);
  EXPECT_DOUBLE_EQ(a.std, b.std);
  write_csv(4);  // one more training clip
  const FbankStats c = cached_fbank_statistics(spec, "train", 1, false, &cached, cache);
  EXPECT_FALSE(cached);
  EXPECT_EQ(c.clips, 3);
}

// The image-folder format's splits are its folder names: a missing split names the ones there are
// and the flag that chooses them (a new user's `--eval-split val`).
TEST(DatasetPresets, ImageFolderNamesItsSplitsAndTheFlag) {
  test::TempDir d;
  for (const char* split : {"train", "val"}) {
    fs::create_directories(d.file(std::string(split) + "/cat"));
    write_jpeg(d.file(std::string(split) + "/cat/0.jpg"), torch::full({3, 8, 8}, 90, torch::kUInt8));
  }
  DatasetSpec spec;
  spec.format = "image-folder";
  spec.root = d.path.string();
  EXPECT_EQ(open_dataset(spec, "val", false)->size(), 1u);
  const std::string e = test::error_of([&] { open_dataset(spec, "test", false); });
  EXPECT_NE(e.find("--eval-split"), std::string::npos) << e;
  EXPECT_NE(e.find("val"), std::string::npos) << e;
  EXPECT_NE(e.find("train"), std::string::npos) << e;
}

}  // namespace
