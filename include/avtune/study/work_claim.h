#pragma once
// Worker processes sharing one study folder (docs/reproduce.md, "On several processes"). Every worker
// computes the same plan, so the same queue each pass; a worker trains a run only while it holds the
// run's claim, an flock(2) on <run>/.avtune-claim that the kernel releases when the worker dies, so
// a dead worker's run is free for another to take over (resuming from its last.pth). The claim is
// beside the trainer's own run-directory lock (util/dir_lock.h) because the trainer takes that lock
// itself for the length of fit and flock conflicts even within one process; the claim is held
// longer: from the completeness check through training and the run's figures.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "avtune/train/train_config.h"

namespace avtune {

class RunClaim {
 public:
  // The claim of `run_dir` (created when missing), or null when another process, or another claim
  // of this one, holds it.
  static std::unique_ptr<RunClaim> try_claim(const std::string& run_dir);
  // True while someone holds the claim of `run_dir`; creates nothing (no claim file: free).
  static bool held(const std::string& run_dir);
  ~RunClaim();
  RunClaim(const RunClaim&) = delete;
  RunClaim& operator=(const RunClaim&) = delete;

  static constexpr const char* kFileName = ".avtune-claim";

 private:
  explicit RunClaim(int fd) : fd_(fd) {}
  int fd_ = -1;
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
