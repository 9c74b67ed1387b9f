#include <gtest/gtest.h>

#include <fstream>

#include "avtune/data/clip_list.h"
#include "avtune/util/error.h"
#include "../test_support.h"

using namespace avtune;

namespace {

using test::error_of;

TEST(ClipList, KineticsSoundsListWithAndWithoutClassNames) {
  test::TempDir d;
  std::ofstream(d.file("train_1fps_path.txt")) << "/data/ks/visual/train/clip_a 10 2\n"
                                                  "/data/ks/visual/train/clip_b/ 12 0\n\n"
                                                  "clip_c.mp4 7 1\n";
  auto l = read_ks_list(d.file("train_1fps_path.txt"));
  ASSERT_EQ(l.entries.size(), 3u);
  EXPECT_EQ(l.entries[0].name, "clip_a");
  EXPECT_EQ(l.entries[0].label, 2);
  EXPECT_EQ(l.entries[1].name, "clip_b");
  EXPECT_EQ(l.entries[2].name, "clip_c");
  EXPECT_EQ(l.entries[2].line, 4);
  EXPECT_EQ(l.classes, (std::vector<std::string>{"0", "1", "2"}));
  std::ofstream(d.file("classes.txt")) << "dog\ncat\nbird\n";
  EXPECT_EQ(read_ks_list(d.file("train_1fps_path.txt")).classes, (std::vector<std::string>{"dog", "cat", "bird"}));
}

TEST(ClipList, KineticsSoundsErrorsNameFileAndLine) {
  test::TempDir d;
  std::ofstream(d.file("l.txt")) << "a 1\nb x\n";
  auto m = error_of([&] { read_ks_list(d.file("l.txt")); });
  EXPECT_NE(m.find("l.txt:2"), std::string::npos) << m;
  EXPECT_NE(m.find("'x'"), std::string::npos) << m;
  std::ofstream(d.file("one.txt")) << "lonely\n";
  m = error_of([&] { read_ks_list(d.file("one.txt")); });
  EXPECT_NE(m.find("one.txt:1"), std::string::npos) << m;
  std::ofstream(d.file("classes.txt")) << "only-one\n";
  m = error_of([&] { read_ks_list(d.file("l.txt")); });  // still fails on line 2 first
  EXPECT_NE(m.find("l.txt:2"), std::string::npos) << m;
}

TEST(ClipList, CremaStyleCsv) {
  test::TempDir d;
  std::ofstream(d.file("train.csv")) << "1001_DFA_ANG_XX,ANG\n1001_DFA_HAP_XX,HAP\n1002_IEO_NEU_LO,NEU\n";
  auto l = read_label_csv(d.file("train.csv"));
  EXPECT_EQ(l.classes, (std::vector<std::string>{"ANG", "HAP", "NEU"}));
  EXPECT_EQ(l.entries[1].label, 1);
  const std::vector<std::string> crema = {"NEU", "HAP", "SAD", "FEA", "DIS", "ANG"};
  auto fixed = read_label_csv(d.file("train.csv"), crema);
  EXPECT_EQ(fixed.entries[0].label, 5);
  EXPECT_EQ(fixed.entries[2].label, 0);
  std::ofstream(d.file("bad.csv")) << "a,NEU\nb,XYZ\n";
  auto m = error_of([&] { read_label_csv(d.file("bad.csv"), crema); });
  EXPECT_NE(m.find("bad.csv:2"), std::string::npos) << m;
  EXPECT_NE(m.find("'XYZ'"), std::string::npos) << m;
  std::ofstream(d.file("hdr.csv")) << "name,label\nx,A\ny,B\n";
  EXPECT_EQ(read_label_csv(d.file("hdr.csv")).entries.size(), 2u);
}

// The row reader read_label_csv shares with VGGSound's and ESC-50's lists (src/data/csv_rows.h): a
// spreadsheet export's byte-order mark, CRLF ends and a quoted name holding a comma.
TEST(ClipList, LabelCsvReadsQuotedFieldsCrlfAndAByteOrderMark) {
  test::TempDir d;
  std::ofstream(d.file("x.csv"), std::ios::binary) << "\xEF\xBB\xBFname,label\r\n\"clips/a, take 2.wav\",\"HAP\"\r\n"
                                                       "\r\nb.wav,ANG\r\n";
  const auto l = read_label_csv(d.file("x.csv"));
  ASSERT_EQ(l.entries.size(), 2u);
  EXPECT_EQ(l.entries[0].name, "a, take 2");
  EXPECT_EQ(l.entries[0].label, 1);
  EXPECT_EQ(l.entries[1].line, 4);  // the blank line still counts
  EXPECT_EQ(l.classes, (std::vector<std::string>{"ANG", "HAP"}));
}

TEST(ClipList, Esc50Folds) {
  test::TempDir d;
  std::ofstream(d.file("esc50.csv")) << "filename,fold,target,category,esc10,src_file,take\n"
                                        "1-100032-A-0.wav,1,0,dog,True,100032,A\n"
                                        "1-100038-A-14.wav,1,14,chirping_birds,False,100038,A\n"
                                        "2-100648-A-43.wav,2,43,chirping_birds_x,False,100648,A\n";
  auto all = read_esc50(d.file("esc50.csv"));
  EXPECT_EQ(all.entries.size(), 3u);
  // The targets present, in target order (an ESC-10 file gets a 10-way head, not a 39-way one).
  EXPECT_EQ(all.classes, (std::vector<std::string>{"dog", "chirping_birds", "chirping_birds_x"}));
  auto f1 = read_esc50(d.file("esc50.csv"), {1});
  ASSERT_EQ(f1.entries.size(), 2u);
  EXPECT_EQ(f1.entries[1].name, "1-100038-A-14");
  EXPECT_EQ(f1.entries[1].label, 1);
  EXPECT_EQ(f1.classes.size(), 3u);  // the class set of the whole file, whatever the folds
  std::ofstream(d.file("bad.csv")) << "filename,fold,category\n";
  auto m = error_of([&] { read_esc50(d.file("bad.csv")); });
  EXPECT_NE(m.find("'target' column"), std::string::npos) << m;
}

TEST(ClipList, WriteThenReadKineticsList) {
  test::TempDir d;
  ClipList l;
  l.classes = {"x", "y"};
  l.entries = {{"c1", 1, 0}, {"c2", 0, 0}};
  write_ks_list(d.file("test_1fps_path.txt"), l, "visual/test");
  auto back = read_ks_list(d.file("test_1fps_path.txt"));
  EXPECT_EQ(back.classes, l.classes);
  EXPECT_EQ(back.entries[0].name, "c1");
  EXPECT_EQ(back.entries[0].label, 1);
}

}  // namespace
