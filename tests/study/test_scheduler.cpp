// The study's scheduler with fake runs: the fake trainer writes last.pth and metrics.jsonl lines into
// each run directory instead of training, so these tests check the caching and pass logic alone.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "avtune/study/scheduler.h"
#include "avtune/study/work_claim.h"
#include "avtune/train/trainer.h"
#include "../test_support.h"

namespace avtune {
namespace {

namespace fs = std::filesystem;

// Writes `epochs` epochs of a run whose eval top-1 is 0.1 * epoch.
void write_fake_run(const std::string& dir, int64_t epochs) {
  fs::create_directories(dir);
  std::ofstream(fs::path(dir) / RunFiles::kLast) << "not a real checkpoint";
  std::ofstream m(fs::path(dir) / RunFiles::kMetrics);
  for (int64_t e = 1; e <= epochs; ++e) m << "{\"epoch\": " << e << ", \"seconds\": 2, \"eval\": {\"top1\": " << 0.1 * e << "}}\n";
  mark_run_complete(dir);  // as the study does after a run's figures
}

struct FakeTrainer {
  std::vector<std::vector<TrainConfig>> calls;  // each pass's queue
  RunTrainer fn() {
    return [this](std::vector<TrainConfig> jobs) {
      for (const auto& j : jobs) write_fake_run(j.out_dir, j.epochs);
      calls.push_back(std::move(jobs));
    };
  }
};

TrainConfig run(const test::TempDir& t, const std::string& name, int64_t epochs = 3, const std::string& init = "") {
  TrainConfig c;
  c.out_dir = t.file(name);
  c.epochs = epochs;
  if (!init.empty()) c.model["init"] = init;
  return c;
}

TEST(Scheduler, FinishedRunIsReadBackNotQueued) {
  test::TempDir t;
  write_fake_run(t.file("a"), 3);
  FakeTrainer fake;
  Scheduler s(fake.fn());
  RunLog log;
  s.stage("s", [&] { log = s.cached(run(t, "a")); });
  EXPECT_TRUE(fake.calls.empty());
  EXPECT_FALSE(log.pending);
  EXPECT_EQ(log.top1.size(), 3u);
  EXPECT_DOUBLE_EQ(log.last, 0.3);
  EXPECT_DOUBLE_EQ(log.seconds, 6);
  EXPECT_EQ(s.runs_trained(), 0);
  EXPECT_EQ(s.runs_total(), 1u);
}

TEST(Scheduler, MissingRunsAreTrainedInTheOrderAsked) {
  test::TempDir t;
  FakeTrainer fake;
  Scheduler s(fake.fn());
  std::vector<RunLog> logs;
  s.stage("s", [&] {
    logs.clear();
    for (const char* n : {"c", "a", "b"}) logs.push_back(s.cached(run(t, n)));
  });
  ASSERT_EQ(fake.calls.size(), 1u);
  ASSERT_EQ(fake.calls[0].size(), 3u);
  EXPECT_EQ(fake.calls[0][0].out_dir, t.file("c"));
  EXPECT_EQ(fake.calls[0][1].out_dir, t.file("a"));
  EXPECT_EQ(fake.calls[0][2].out_dir, t.file("b"));
  EXPECT_FALSE(fake.calls[0][0].resume);
  for (const auto& l : logs) EXPECT_FALSE(l.pending);  // the second pass read them back
  EXPECT_EQ(s.runs_trained(), 3);
  ASSERT_EQ(s.stage_seconds().size(), 1u);
  EXPECT_EQ(s.stage_seconds()[0].first, "s");
}

TEST(Scheduler, InterruptedRunResumes) {
  test::TempDir t;
  write_fake_run(t.file("a"), 1);
  FakeTrainer fake;
  Scheduler s(fake.fn());
  RunLog log;
  s.stage("s", [&] { log = s.cached(run(t, "a", 3)); });
  ASSERT_EQ(fake.calls.size(), 1u);
  ASSERT_EQ(fake.calls[0].size(), 1u);
  EXPECT_TRUE(fake.calls[0][0].resume);
  EXPECT_EQ(log.top1.size(), 3u);
}

// Killed after the last epoch's metrics.jsonl but before its last.pth or figures: every epoch is in
// the metrics, yet the run is resumed (issue 17: the rerun must end as an uninterrupted run).
TEST(Scheduler, RunWithoutTheCompleteMarkResumesEvenWithEveryEpochLogged) {
  test::TempDir t;
  write_fake_run(t.file("a"), 3);
  fs::remove(fs::path(t.file("a")) / kRunCompleteMark);
  FakeTrainer fake;
  Scheduler s(fake.fn());
  RunLog log;
  s.stage("s", [&] { log = s.cached(run(t, "a", 3)); });
  ASSERT_EQ(fake.calls.size(), 1u);
  ASSERT_EQ(fake.calls[0].size(), 1u);
  EXPECT_TRUE(fake.calls[0][0].resume);
  EXPECT_FALSE(log.pending);
  EXPECT_TRUE(fs::exists(fs::path(t.file("a")) / kRunCompleteMark));
}

TEST(Scheduler, RunWaitingOnAnInitCheckpointTrainsInTheNextPass) {
  test::TempDir t;
  FakeTrainer fake;
  Scheduler s(fake.fn());
  RunLog b;
  int passes = 0;
  s.stage("s", [&] {
    ++passes;
    s.cached(run(t, "a"));
    b = s.cached(run(t, "b", 2, t.file("a") + "/last.pth:conv1=sum"));
  });
  EXPECT_EQ(passes, 3);
  ASSERT_EQ(fake.calls.size(), 2u);
  ASSERT_EQ(fake.calls[0].size(), 1u);
  EXPECT_EQ(fake.calls[0][0].out_dir, t.file("a"));
  ASSERT_EQ(fake.calls[1].size(), 1u);
  EXPECT_EQ(fake.calls[1][0].out_dir, t.file("b"));
  EXPECT_FALSE(b.pending);
  EXPECT_EQ(s.runs_total(), 2u);
}

TEST(Scheduler, WaitDefersThePass) {
  test::TempDir t;
  FakeTrainer fake;
  Scheduler s(fake.fn());
  int passes = 0;
  s.stage("s", [&] {
    ++passes;
    const auto a = s.cached(run(t, "a"));
    if (a.pending) s.wait("a's probes");
    EXPECT_TRUE(s.pass_pending() == a.pending);
  });
  EXPECT_EQ(passes, 2);
}

TEST(Scheduler, StageThatCannotProgressFailsNamingWhatItWaitsOn) {
  test::TempDir t;
  FakeTrainer fake;
  Scheduler s(fake.fn());
  const std::string missing = t.file("nowhere/last.pth");
  const std::string e = test::error_of([&] { s.stage("fusion tuning", [&] { s.cached(run(t, "b", 2, missing)); }); });
  EXPECT_NE(e.find("fusion tuning"), std::string::npos) << e;
  EXPECT_NE(e.find(missing), std::string::npos) << e;
  EXPECT_TRUE(fake.calls.empty());
}

TEST(Scheduler, RerunTrainsNothing) {
  test::TempDir t;
  auto body = [&](Scheduler& s) {
    s.cached(run(t, "a"));
    s.cached(run(t, "b", 2, t.file("a") + "/last.pth"));
  };
  FakeTrainer first;
  Scheduler s1(first.fn());
  s1.stage("s", [&] { body(s1); });
  EXPECT_EQ(s1.runs_trained(), 2);
  FakeTrainer second;
  Scheduler s2(second.fn());
  s2.stage("s", [&] { body(s2); });
  EXPECT_TRUE(second.calls.empty());
  EXPECT_EQ(s2.runs_trained(), 0);
  EXPECT_EQ(s2.runs_total(), 2u);
}

TEST(Scheduler, ReadRunOfAMissingDirectoryIsEmpty) {
  test::TempDir t;
  const auto r = read_run(t.file("none"));
  EXPECT_TRUE(r.top1.empty());
  EXPECT_TRUE(std::isnan(r.last));
}

}  // namespace
}  // namespace avtune
