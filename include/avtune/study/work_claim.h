#pragma once
// Worker processes sharing one study folder (docs/reproduce.md, "On several processes"). Every worker
// computes the same plan, so the same queue each pass; a worker trains a run only while it holds the
// run's claim. The claim is the run directory's lock (util/dir_lock.h, an flock(2) on
// <run>/.avtune-lock that the kernel releases when the worker dies, so a dead worker's run is free for
// another to take over, resuming from its last.pth), handed over to the run's trainer in this process
// (DirLock::hand_over): one lock file per run, held from the completeness check through training and
// the run's figures.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "avtune/train/train_config.h"
#include "avtune/util/dir_lock.h"

namespace avtune {

class RunClaim {
 public:
  // The claim of `run_dir` (created when missing), or null when another process, or another claim
  // of this one, holds it.
  static std::unique_ptr<RunClaim> try_claim(const std::string& run_dir);
  // True while someone holds the claim (or any writer the lock) of `run_dir`; creates nothing.
  static bool held(const std::string& run_dir);

  static constexpr const char* kFileName = DirLock::kFileName;  // the run directory's lock file

 private:
  explicit RunClaim(std::shared_ptr<DirLock> lock) : lock_(std::move(lock)) {}
  std::shared_ptr<DirLock> lock_;  // handed over: the run's trainer in this process writes under it
};

// Serialises what workers write outside run directories (the data, fbank statistics, Fusion Tuning's
// mask files): a blocking flock on <study>/.avtune-study-lock, held for the object's life. Not
// re-entrant: one at a time per process.
class StudyLock {
 public:
  explicit StudyLock(const std::filesystem::path& study_dir);
  ~StudyLock();
  StudyLock(const StudyLock&) = delete;
  StudyLock& operator=(const StudyLock&) = delete;

 private:
  int fd_ = -1;
};

// The study's mark of a finished run, written after the run's last file (its figures): a worker
// killed between the last epoch's metrics.jsonl and last.pth, or before the figures, leaves files
// that look finished; without the mark the run is resumed (a finished last.pth trains 0 epochs).
inline constexpr const char* kRunCompleteMark = ".avtune-run-complete";
void mark_run_complete(const std::string& run_dir);

// The files say the run is finished: the mark is there, last.pth exists and metrics.jsonl holds all
// its epochs.
bool run_files_complete(const TrainConfig& cfg);

// What a pool does with the claim hook: before training a job it calls claim(job); null means the
// job is not this process's to train (skip it), else the job (its `resume` set from the files) is
// trained while the returned token is held.
using ClaimHook = std::function<std::shared_ptr<void>(TrainConfig&)>;
using ClaimingTrainer = std::function<void(const std::vector<TrainConfig>&, const ClaimHook&)>;

struct SharedPassOptions {
  int worker = 0;        // this worker's index, in the lines it prints
  double poll_s = 0.5;   // between looks at runs other workers hold
  bool quiet = false;
};

// One pass of the study's queue shared with other workers: hands the queue to `train` with a claim
// hook, then waits (polling) until every job is complete and unclaimed, handing it the jobs again
// after each wait so that a run left incomplete by a dead worker is taken over.
void train_pass_shared(std::vector<TrainConfig> jobs, const ClaimingTrainer& train, const SharedPassOptions& o);

}  // namespace avtune
