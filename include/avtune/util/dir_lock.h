#pragma once
// One writer per output directory: two `avtune train --out D` at once would leave D mixing one run's
// config with the other's weights. The lock is flock(2) on a file in the directory, so the kernel
// releases it when its process dies (kill -9 included) and no stale lock needs clearing.
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

  static constexpr const char* kFileName = ".avtune-lock";

 private:
  int fd_ = -1;
};

// Removes AtomicFile temp files (`NAME.tmp.PID.N`) in `dir` whose process is no longer running
// (left by a kill or a power cut); returns how many it removed. Not recursive.
size_t remove_stale_temp_files(const std::string& dir);

}  // namespace avtune
