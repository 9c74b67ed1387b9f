// Class sets and list files as data sets ship them (issue 18): UTF-8 byte-order marks, merged class
// sets, duplicate class names.
#include <gtest/gtest.h>

#include <fstream>

#include "avtune/data/clip_list.h"
#include "avtune/util/error.h"
#include "../test_support.h"

using namespace avtune;

namespace {

TEST(ClassSets, ByteOrderMarkIsNotPartOfTheFirstName) {
  test::TempDir d;
  std::ofstream(d.file("train.csv"), std::ios::binary) << "\xEF\xBB\xBF" "name,label\r\n1001_DFA_ANG_XX,ANG\r\n1002_IEO_HAP_HI,HAP\r\n";
  const auto l = read_label_csv(d.file("train.csv"));
  ASSERT_EQ(l.entries.size(), 2u);  // the header was recognised despite the mark
  EXPECT_EQ(l.entries[0].name, "1001_DFA_ANG_XX");
  EXPECT_EQ(l.classes, (std::vector<std::string>{"ANG", "HAP"}));
  std::ofstream(d.file("list.txt"), std::ios::binary) << "\xEF\xBB\xBF" "visual/train/clip_a 1\n";
  std::ofstream(d.file("classes.txt"), std::ios::binary) << "\xEF\xBB\xBF" "dog\ncat\n";
  const auto ks = read_ks_list(d.file("list.txt"));
  EXPECT_EQ(ks.entries[0].name, "clip_a");
  EXPECT_EQ(ks.classes, (std::vector<std::string>{"dog", "cat"}));
}

TEST(ClassSets, MergeKeepsIndicesAndAppendsNewNames) {
  EXPECT_EQ(merge_class_names({"cat", "dog", "zebra"}, {"dog", "emu", "zebra"}),
            (std::vector<std::string>{"cat", "dog", "zebra", "emu"}));
  EXPECT_EQ(merge_class_names({}, {"b", "a"}), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(merge_class_names({"x"}, {}), (std::vector<std::string>{"x"}));
}

TEST(ClassSets, ADuplicateClassNameIsAnError) {
  test::TempDir d;
  std::ofstream(d.file("classes.txt")) << "dog\ncat\ndog\n";
  const std::string e = test::error_of([&] { read_class_names(d.file("classes.txt")); });
  EXPECT_NE(e.find("'dog' twice"), std::string::npos) << e;
  EXPECT_NE(e.find("classes.txt"), std::string::npos) << e;
}

}  // namespace
