// One writer per run directory, and temp files of killed writers cleaned (issue 17).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "avtune/util/dir_lock.h"
#include "avtune/util/error.h"
#include "../test_support_base.h"

using namespace avtune;
using test::error_of;

namespace {

TEST(DirLock, SecondWriterIsRefusedNamingTheHolder) {
  test::TempDir dir;
  const std::string run = dir.file("run");
  {
    DirLock first(run);
    const std::string m = error_of([&] { DirLock second(run); });
    EXPECT_NE(m.find("process " + std::to_string(::getpid())), std::string::npos) << m;
    EXPECT_NE(m.find(run), std::string::npos) << m;
  }
  EXPECT_EQ(error_of([&] { DirLock again(run); }), "no error");  // released with its owner
}

TEST(DirLock, ADeadHoldersLockIsFree) {
  test::TempDir dir;
  const std::string run = dir.file("run");
  const pid_t child = ::fork();
  if (child == 0) {
    new DirLock(run);  // held until the process dies, never released by hand
    std::_Exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(error_of([&] { DirLock mine(run); }), "no error");
}

TEST(DirLock, TryLockReportsTheHolderWithoutThrowing) {
  test::TempDir dir;
  const std::string run = dir.file("run");
  EXPECT_FALSE(DirLock::held(run));
  EXPECT_FALSE(std::filesystem::exists(run));  // looking creates nothing
  DirLock::Attempt first = DirLock::try_lock(run);
  ASSERT_TRUE(first.lock);
  EXPECT_TRUE(DirLock::held(run));
  const DirLock::Attempt second = DirLock::try_lock(run);
  EXPECT_FALSE(second.lock);
  EXPECT_EQ(second.holder, ::getpid());
  first.lock.reset();
  EXPECT_FALSE(DirLock::held(run));
  EXPECT_EQ(std::filesystem::file_size(std::filesystem::path(run) / DirLock::kFileName), 0u);  // emptied
}

// The study's claim handed to the trainer: writers of this process reuse it, anyone else is refused,
// and it is released with its last holder.
TEST(DirLock, AHandedOverLockIsReusedByThisProcesssWriters) {
  test::TempDir dir;
  const std::string run = dir.file("run");
  std::shared_ptr<DirLock> claim = DirLock::hand_over(DirLock::try_lock(run).lock);
  std::shared_ptr<DirLock> writer = DirLock::for_writer(run + "/.");  // the same directory, spelt otherwise
  EXPECT_EQ(writer, claim);
  EXPECT_NE(error_of([&] { DirLock plain(run); }).find("process " + std::to_string(::getpid())), std::string::npos);
  EXPECT_FALSE(DirLock::try_lock(run).lock);
  claim.reset();
  EXPECT_TRUE(DirLock::held(run));  // the writer still holds it
  writer.reset();
  EXPECT_FALSE(DirLock::held(run));
  // Nothing handed over any more: a writer takes a lock of its own.
  writer = DirLock::for_writer(run);
  EXPECT_TRUE(DirLock::held(run));
}

TEST(DirLock, StaleTempFilesOfDeadProcessesAreRemoved) {
  test::TempDir dir;
  const pid_t child = ::fork();
  if (child == 0) std::_Exit(0);
  ::waitpid(child, nullptr, 0);  // a pid that no longer runs
  const std::string dead = dir.file("last.pth.tmp." + std::to_string(child) + ".0");
  const std::string live = dir.file("metrics.jsonl.tmp." + std::to_string(::getppid()) + ".3");
  const std::string other = dir.file("notes.tmp.txt");
  for (const auto& p : {dead, live, other}) std::ofstream(p) << "x";
  EXPECT_EQ(remove_stale_temp_files(dir.path.string()), 1u);
  EXPECT_FALSE(std::filesystem::exists(dead));
  EXPECT_TRUE(std::filesystem::exists(live));
  EXPECT_TRUE(std::filesystem::exists(other));
}

}  // namespace
