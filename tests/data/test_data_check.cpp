// `avtune data check` on a broken copy of the embedded data (issue 18): every planted problem is
// found, errors and warnings told apart, and the intact copy passes.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "avtune/audio/audio_file.h"
#include "avtune/data/clip_list.h"
#include "avtune/data/data_check.h"
#include "avtune/data/embedded_data.h"
#include "avtune/vision/frame_sampling.h"
#include "../test_support.h"
#include "tiny_embedded.h"

using namespace avtune;
namespace fs = std::filesystem;

namespace {

const ClipCheck* find(const DataCheckReport& r, const std::string& split, const std::string& name) {
  for (const auto& c : r.clips)
    if (c.split == split && c.name == name) return &c;
  return nullptr;
}

TEST(DataCheck, FindsEveryPlantedProblemInABrokenCopy) {
  test::TempDir d;
  make_embedded_data(test::tiny_embedded(d.file("data")));
  const std::string root = d.file("data/av-fashion");
  DatasetSpec spec;
  spec.root = root;
  spec.clip.frames = 3;
  spec.clip.audio.target_frames = 64;
  spec.clip.audio.fbank.num_mel_bins = 32;

  const auto intact = check_dataset(spec, {"train", "test"});
  EXPECT_EQ(intact.errors(), 0u) << intact.summary();
  EXPECT_TRUE(intact.duplicates.empty());
  ASSERT_EQ(intact.splits.size(), 2u);
  EXPECT_EQ(intact.splits[0].clips, 40u);
  EXPECT_EQ(intact.splits[1].clips, 20u);

  const auto train = read_ks_list(root + "/train_1fps_path.txt");
  const auto test = read_ks_list(root + "/test_1fps_path.txt");
  const std::string a = train.entries[0].name, b = train.entries[1].name, c = train.entries[2].name,
                    e = train.entries[3].name, f = train.entries[4].name, t = test.entries[0].name;
  fs::remove(root + "/audio/train/" + a + ".wav");                          // missing audio
  std::ofstream(root + "/audio/train/" + b + ".wav") << "RIFF, but not really";  // unreadable audio
  write_wav16(root + "/audio/train/" + c + ".wav", torch::zeros({1, 16000}), 16000);  // silent
  for (const auto& frame : list_clip_frames(root + "/visual/train/" + e)) fs::remove(frame);  // no frames
  fs::remove(root + "/visual/train/" + f + "/frame_00002.jpg");  // a gap in the numbering
  {  // the test split lists a training clip too (copied there): a duplicate name across splits
    fs::copy(root + "/audio/train/" + train.entries[5].name + ".wav", root + "/audio/test/" + train.entries[5].name + ".wav");
    fs::copy(root + "/visual/train/" + train.entries[5].name, root + "/visual/test/" + train.entries[5].name,
             fs::copy_options::recursive);
    std::ofstream(root + "/test_1fps_path.txt", std::ios::app) << "visual/test/" << train.entries[5].name << " 0\n";
  }

  const auto r = check_dataset(spec, {"train", "test"});
  EXPECT_EQ(r.errors(), 4u) << r.summary();
  ASSERT_TRUE(find(r, "train", a) && find(r, "train", b) && find(r, "train", c) && find(r, "train", e) && find(r, "train", f));
  EXPECT_NE(find(r, "train", a)->errors.find("missing audio"), std::string::npos) << find(r, "train", a)->errors;
  EXPECT_NE(find(r, "train", b)->errors.find("unreadable audio"), std::string::npos) << find(r, "train", b)->errors;
  EXPECT_TRUE(find(r, "train", c)->errors.empty()) << find(r, "train", c)->errors;
  EXPECT_NE(find(r, "train", c)->warnings.find("silent"), std::string::npos) << find(r, "train", c)->warnings;
  // 1 s of audio for a 64-frame (0.655 s) input is long enough; the 16 kHz silence is the only warning.
  EXPECT_EQ(find(r, "train", c)->warnings, "silent audio");
  EXPECT_NE(find(r, "train", e)->errors.find("no frames"), std::string::npos) << find(r, "train", e)->errors;
  EXPECT_NE(find(r, "train", f)->errors.find("unreadable frames"), std::string::npos) << find(r, "train", f)->errors;
  ASSERT_NE(find(r, "test", t), nullptr);
  EXPECT_EQ(r.duplicates, (std::vector<std::string>{train.entries[5].name}));
  EXPECT_EQ(r.splits[1].clips, 21u);
  const std::string summary = r.summary();
  EXPECT_NE(summary.find("4 error(s)"), std::string::npos) << summary;
  EXPECT_NE(summary.find("more than one split"), std::string::npos) << summary;
  // One CSV row per clip, plus the header.
  const std::string csv = r.csv();
  EXPECT_EQ(static_cast<size_t>(std::count(csv.begin(), csv.end(), '\n')), r.clips.size() + 1);

  // A clip shorter than the model's input is a warning.
  spec.clip.audio.target_frames = 1024;  // 10.24 s
  const auto longer = check_dataset(spec, {"test"});
  EXPECT_NE(find(longer, "test", t)->warnings.find("shorter than the model's input"), std::string::npos)
      << find(longer, "test", t)->warnings;
}

}  // namespace
