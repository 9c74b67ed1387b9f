// Runs shared between worker processes (study/work_claim.h) with fake runs: the fake trainer writes
// last.pth and metrics.jsonl instead of training, so these tests check claiming, waiting and taking
// over a dead worker's run, with real processes (fork) holding real flocks.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "avtune/study/scheduler.h"
#include "avtune/study/work_claim.h"
#include "avtune/train/trainer.h"
#include "../test_support.h"

namespace avtune {
namespace {

namespace fs = std::filesystem;

void write_fake_run(const std::string& dir, int64_t epochs, int64_t done) {
  fs::create_directories(dir);
  std::ofstream(fs::path(dir) / RunFiles::kLast) << "not a real checkpoint";
  std::ofstream m(fs::path(dir) / RunFiles::kMetrics);
  for (int64_t e = 1; e <= done; ++e) m << "{\"epoch\": " << e << ", \"eval\": {\"top1\": " << 0.1 * e << "}}\n";
  if (done >= epochs) mark_run_complete(dir);  // as the study does after a finished run's figures
}

std::vector<TrainConfig> jobs(const test::TempDir& t, int n) {
  std::vector<TrainConfig> out;
  for (int i = 0; i < n; ++i) {
    TrainConfig c;
    c.out_dir = t.file("run" + std::to_string(i));
    c.epochs = 2;
    out.push_back(c);
  }
  return out;
}

// Lines "PID DIR RESUME" of the runs trained, appended by every process (small O_APPEND writes).
std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> v;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}
void append_line(const std::string& path, const std::string& line) {
  std::FILE* f = std::fopen(path.c_str(), "a");
  std::fputs((line + "\n").c_str(), f);
  std::fclose(f);
}

TEST(RunClaim, OneHolderAtATimeAndLookingCreatesNothing) {
  test::TempDir t;
  const std::string run = t.file("a");
  EXPECT_FALSE(RunClaim::held(run));
  EXPECT_FALSE(fs::exists(run));  // held() created nothing
  {
    auto first = RunClaim::try_claim(run);
    ASSERT_TRUE(first);
    EXPECT_TRUE(RunClaim::held(run));
    EXPECT_FALSE(RunClaim::try_claim(run));  // flock conflicts within one process too
  }
  EXPECT_FALSE(RunClaim::held(run));
  EXPECT_TRUE(RunClaim::try_claim(run));
}

// One lock file per run: the claim is the run directory's lock (util/dir_lock.h), and the trainer of
// this process writes under it instead of taking a second one.
TEST(RunClaim, IsTheRunDirectorysLockHandedToItsTrainer) {
  test::TempDir t;
  const std::string run = t.file("a");
  auto claim = RunClaim::try_claim(run);
  ASSERT_TRUE(claim);
  EXPECT_TRUE(DirLock::held(run));
  EXPECT_FALSE(DirLock::try_lock(run).lock);  // another writer is refused
  EXPECT_NO_THROW(DirLock::for_writer(run));   // the trainer's: the claim, handed over
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(run)) files.push_back(e.path().filename().string());
  EXPECT_EQ(files, std::vector<std::string>{DirLock::kFileName});
  claim.reset();
  EXPECT_FALSE(RunClaim::held(run));
}

TEST(RunClaim, ADeadWorkersClaimIsFree) {
  test::TempDir t;
  const std::string run = t.file("a");
  const pid_t child = ::fork();
  if (child == 0) {
    RunClaim::try_claim(run).release();  // held until the process dies, never released by hand
    std::_Exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_FALSE(RunClaim::held(run));
  EXPECT_TRUE(RunClaim::try_claim(run));
}

TEST(RunClaim, SchedulerCountsAClaimedRunAsPendingEvenWhenItsFilesLookFinished) {
  test::TempDir t;
  TrainConfig c = jobs(t, 1)[0];
  write_fake_run(c.out_dir, 2, 2);
  Scheduler s([](std::vector<TrainConfig>) {});
  {
    auto claim = RunClaim::try_claim(c.out_dir);  // a worker still writing its last.pth and figures
    const RunLog l = s.cached(c);
    EXPECT_TRUE(l.pending);
    EXPECT_TRUE(s.pass_pending());
  }
  Scheduler s2([](std::vector<TrainConfig>) {});
  EXPECT_FALSE(s2.cached(c).pending);
}

// A fake pool: trains (writes) each job it claims; with `other_log` it holds its first run until
// another process has claimed one too (or 5 s), so two workers surely share the pass.
ClaimingTrainer fake_pool(const std::string& log, bool wait_for_peer) {
  return [log, wait_for_peer](const std::vector<TrainConfig>& js, const ClaimHook& claim) {
    for (TrainConfig c : js) {
      auto held = claim(c);
      if (!held) continue;
      append_line(log, std::to_string(::getpid()) + " " + c.out_dir + " " + (c.resume ? "resume" : "fresh"));
      const auto t0 = std::chrono::steady_clock::now();
      while (wait_for_peer && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
        std::set<std::string> pids;
        for (const auto& l : read_lines(log)) pids.insert(l.substr(0, l.find(' ')));
        if (pids.size() >= 2) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      write_fake_run(c.out_dir, c.epochs, c.epochs);
    }
  };
}

TEST(SharedPass, TwoWorkersTrainEachRunOnceAndBothFinishThePass) {
  test::TempDir t;
  const auto js = jobs(t, 6);
  const std::string log = t.file("trained.log");
  std::vector<pid_t> kids;
  for (int w = 0; w < 2; ++w) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      int rc = 0;
      try {
        train_pass_shared(js, fake_pool(log, true), {w, 0.05, true});
        for (const auto& c : js) rc |= run_files_complete(c) ? 0 : 2;
      } catch (...) {
        rc = 1;
      }
      std::_Exit(rc);
    }
    kids.push_back(pid);
  }
  for (pid_t k : kids) {
    int status = 0;
    ::waitpid(k, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "a worker returned before every run was complete, or threw";
  }
  std::map<std::string, int> times;
  std::set<std::string> pids;
  for (const auto& l : read_lines(log)) {
    std::istringstream in(l);
    std::string pid, dir, how;
    in >> pid >> dir >> how;
    ++times[dir];
    pids.insert(pid);
    EXPECT_EQ(how, "fresh");
  }
  ASSERT_EQ(times.size(), js.size());
  for (const auto& [dir, n] : times) EXPECT_EQ(n, 1) << dir << " trained " << n << " times";
  EXPECT_EQ(pids.size(), 2u) << "both workers trained runs";
}

TEST(SharedPass, ARunLeftByAKilledWorkerIsTakenOverAndResumed) {
  test::TempDir t;
  const auto js = jobs(t, 3);
  const std::string log = t.file("trained.log");
  const pid_t dying = ::fork();
  if (dying == 0) {  // claims run1, trains one of its two epochs, then hangs until killed
    auto c = RunClaim::try_claim(js[1].out_dir);
    write_fake_run(js[1].out_dir, 2, 1);
    for (;;) ::pause();
  }
  while (!RunClaim::held(js[1].out_dir)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::thread killer([dying] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::kill(dying, SIGKILL);
  });
  train_pass_shared(js, fake_pool(log, false), {0, 0.05, true});
  killer.join();
  int status = 0;
  ::waitpid(dying, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status));
  const auto lines = read_lines(log);
  ASSERT_EQ(lines.size(), 3u);
  const std::string me = std::to_string(::getpid());
  EXPECT_EQ(lines[0], me + " " + js[0].out_dir + " fresh");
  EXPECT_EQ(lines[1], me + " " + js[2].out_dir + " fresh");
  EXPECT_EQ(lines[2], me + " " + js[1].out_dir + " resume");  // after the wait, from its last.pth
  for (const auto& c : js) EXPECT_TRUE(run_files_complete(c));
}

}  // namespace
}  // namespace avtune
