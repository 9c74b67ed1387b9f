#include <gtest/gtest.h>

#include <fstream>

#include "avtune/study/clip_card.h"
#include "../test_support.h"

namespace avtune {
namespace {

TEST(StudyClipCard, ColumnsAreFoundByName) {
  test::TempDir t;
  // make-data's column order, and a shuffled one: the parser must not depend on positions.
  std::ofstream(t.file("a.csv")) << "name,split,label,class,fmnist_index,seconds,speech_start_s,speech_end_s,snr_db,voice,"
                                    "audio_informative,visual_informative\n"
                                    "c1,train,0,x,1,1.0,0.1,0.5,3.00,en rate=1,1,1\n"
                                    "c2,train,0,x,1,1.0,0.1,0.5,3.00,none,0,1\n"
                                    "c3,train,0,x,1,1.0,0.1,0.5,3.00,en,1,0\n"
                                    "c4,train,0,x,1,1.0,0.1,0.5,3.00,none,0,0\n";
  const auto g = read_clip_groups(t.file("a.csv"));
  ASSERT_EQ(g.size(), 4u);
  EXPECT_EQ(g.at("c1"), kBothInformative);
  EXPECT_EQ(g.at("c2"), kAudioNoiseOnly);
  EXPECT_EQ(g.at("c3"), kFramesBlank);
  EXPECT_EQ(g.at("c4"), kAudioNoiseOnly);
  std::ofstream(t.file("b.csv")) << "visual_informative,name,audio_informative\r\n0,z,1\r\n";
  EXPECT_EQ(read_clip_groups(t.file("b.csv")).at("z"), kFramesBlank);
  EXPECT_EQ(clip_group_names().size(), 3u);
}

TEST(StudyClipCard, MissingFileIsEmptyBadHeaderOrRowIsAnError) {
  test::TempDir t;
  EXPECT_TRUE(read_clip_groups(t.file("none.csv")).empty());
  std::ofstream(t.file("h.csv")) << "name,audio_informative\nc1,1\n";
  std::string e = test::error_of([&] { read_clip_groups(t.file("h.csv")); });
  EXPECT_NE(e.find("visual_informative"), std::string::npos) << e;
  EXPECT_NE(e.find("h.csv"), std::string::npos) << e;
  std::ofstream(t.file("r.csv")) << "name,audio_informative,visual_informative\nc1,1,1\nc2,1\n";
  e = test::error_of([&] { read_clip_groups(t.file("r.csv")); });
  EXPECT_NE(e.find("r.csv:3"), std::string::npos) << e;
}

}  // namespace
}  // namespace avtune
