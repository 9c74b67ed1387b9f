#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "avtune/util/atomic_file.h"
#include "../test_support.h"

using namespace avtune;
namespace fs = std::filesystem;

static std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(AtomicFile, CommitReplacesOldContentsAndLeavesNoTemp) {
  test::TempDir d;
  const auto p = d.file("out.txt");
  write_file_atomic(p, "old");
  write_file_atomic(p, "new contents");
  EXPECT_EQ(slurp(p), "new contents");
  int entries = 0;
  for (auto& e : fs::directory_iterator(d.path)) { (void)e; ++entries; }
  EXPECT_EQ(entries, 1);
}

TEST(AtomicFile, AbandonedWriteKeepsOldFileAndRemovesTemp) {
  test::TempDir d;
  const auto p = d.file("out.txt");
  write_file_atomic(p, "old");
  std::string temp;
  {
    AtomicFile f(p);
    temp = f.temp_path();
    f.stream() << "half-writ";
    EXPECT_TRUE(fs::exists(temp));
    // no commit: simulates an exception mid-write
  }
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_EQ(slurp(p), "old");
}

TEST(AtomicFile, UnwritableDirectoryGivesClearError) {
  try {
    write_file_atomic("/proc/avtune-no/such/dir/x", "x");
    FAIL() << "no error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/avtune-no"), std::string::npos) << e.what();
  }
}
