#pragma once
// One writer per output directory: two `avtune train --out D` at once would leave D mixing one run's
// config with the other's weights. The lock is flock(2) on D/.avtune-lock, so the kernel releases it
// when its process dies (kill -9 included) and no stale lock needs clearing. The file holds the
// holder's pid while held and is emptied on release. It is the run directory's only lock file: the
// study's claim of a run (study/work_claim.h) is this lock, handed over to the run's trainer.
#include <memory>
#include <string>

namespace avtune {

class DirLock {
 public:
  // Creates `dir` if needed and locks it; throws avtune::Error naming the directory and the holder's
  // pid when another process (or another DirLock of this one) holds it.
  explicit DirLock(const std::string& dir);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

  // The outcome of try_lock: the lock, or null and the holder's pid (0 when the file names none).
  struct Attempt {
    std::unique_ptr<DirLock> lock;
    long holder = 0;
  };
  // As the constructor, but someone else holding the lock is an outcome, not an error; throws only
  // when `dir` or its lock file cannot be made.
  static Attempt try_lock(const std::string& dir);
  // True while someone (this process included) holds the lock of `dir`; creates nothing.
  static bool held(const std::string& dir);

  // Hand-over within one process: `lock` becomes the one later writers of its directory in this
  // process reuse (for_writer) instead of taking a second lock, which flock would refuse. The study
  // claims a run this way and its trainer writes under the claim. Ends with the last holder.
  static std::shared_ptr<DirLock> hand_over(std::unique_ptr<DirLock> lock);
  // The lock a writer of `dir` holds: the one handed over for `dir` in this process if any, else a
  // new one (throws as the constructor).
  static std::shared_ptr<DirLock> for_writer(const std::string& dir);

  static constexpr const char* kFileName = ".avtune-lock";

 private:
  struct Tag {};
  DirLock(Tag, int fd, std::string dir) : fd_(fd), dir_(std::move(dir)) {}
  int fd_ = -1;
  std::string dir_;         // as locked (canonical), the hand-over's key
  bool handed_over_ = false;
};

// Removes AtomicFile temp files (`NAME.tmp.PID.N`) in `dir` whose process is no longer running
// (left by a kill or a power cut); returns how many it removed. Not recursive.
size_t remove_stale_temp_files(const std::string& dir);

}  // namespace avtune
