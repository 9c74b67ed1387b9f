#include "avtune/study/work_claim.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "avtune/study/scheduler.h"
#include "avtune/util/atomic_file.h"
#include "avtune/train/trainer.h"
#include "avtune/util/error.h"

namespace avtune {

namespace fs = std::filesystem;

std::unique_ptr<RunClaim> RunClaim::try_claim(const std::string& run_dir) {
  DirLock::Attempt a = DirLock::try_lock(run_dir);
  if (!a.lock) return nullptr;
  return std::unique_ptr<RunClaim>(new RunClaim(DirLock::hand_over(std::move(a.lock))));
}

bool RunClaim::held(const std::string& run_dir) { return DirLock::held(run_dir); }

StudyLock::StudyLock(const fs::path& study_dir) {
  std::error_code ec;
  fs::create_directories(study_dir, ec);
  if (ec) fail("reproduce", "a study folder it can create", ec.message(), {study_dir.string()});
  const std::string path = (study_dir / ".avtune-study-lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("reproduce", "a writable study lock file", std::strerror(errno), {path});
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const int err = errno;
    ::close(fd_);
    fail("reproduce", "a lockable study lock file", std::strerror(err), {path});
  }
}

StudyLock::~StudyLock() {
  if (fd_ >= 0) ::close(fd_);
}

void mark_run_complete(const std::string& run_dir) {
  write_file_atomic((fs::path(run_dir) / kRunCompleteMark).string(), "complete\n");
}

bool run_files_complete(const TrainConfig& cfg) {
  if (!fs::exists(fs::path(cfg.out_dir) / kRunCompleteMark)) return false;
  if (!fs::exists(fs::path(cfg.out_dir) / RunFiles::kLast)) return false;
  return static_cast<int64_t>(read_run(cfg.out_dir).top1.size()) >= cfg.epochs;
}

void train_pass_shared(std::vector<TrainConfig> jobs, const ClaimingTrainer& train, const SharedPassOptions& o) {
  const int worker = o.worker;
  const bool quiet = o.quiet;
  const ClaimHook claim = [worker, quiet](TrainConfig& c) -> std::shared_ptr<void> {
    auto held = RunClaim::try_claim(c.out_dir);
    if (!held) return nullptr;                   // another worker trains it
    if (run_files_complete(c)) return nullptr;   // another worker finished it since the pass looked
    c.resume = fs::exists(fs::path(c.out_dir) / RunFiles::kLast);  // a dead worker's run continues
    if (!quiet)
      std::fprintf(stderr, "avtune reproduce: training %s (worker %d%s)\n", c.out_dir.c_str(), worker,
                   c.resume ? ", resumed from its last.pth" : "");
    return std::shared_ptr<RunClaim>(std::move(held));
  };
  bool waited = false;
  for (;;) {
    train(jobs, claim);
    std::vector<TrainConfig> left;
    for (auto& c : jobs)
      if (!run_files_complete(c) || RunClaim::held(c.out_dir)) left.push_back(std::move(c));
    if (left.empty()) return;
    if (!waited && !quiet)
      std::fprintf(stderr, "avtune reproduce: worker %d waits on %zu run(s) other workers train (first: %s)\n", worker,
                   left.size(), left.front().out_dir.c_str());
    waited = true;
    std::this_thread::sleep_for(std::chrono::duration<double>(o.poll_s));
    jobs = std::move(left);
  }
}

}  // namespace avtune
