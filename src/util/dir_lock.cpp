#include "avtune/util/dir_lock.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>

#include "avtune/util/error.h"

namespace avtune {

namespace fs = std::filesystem;

namespace {

std::string lock_path(const std::string& dir) { return (fs::path(dir) / DirLock::kFileName).string(); }

// The locks handed over in this process, by canonical directory (DirLock::hand_over).
std::mutex& handed_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, std::weak_ptr<DirLock>>& handed() {
  static std::map<std::string, std::weak_ptr<DirLock>> m;
  return m;
}

std::string canonical_dir(const std::string& dir) {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(dir, ec);
  return ec ? dir : p.string();
}

}  // namespace

DirLock::Attempt DirLock::try_lock(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail("run-lock", "a directory it can create", ec.message(), {dir});
  const std::string path = lock_path(dir);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) fail("run-lock", "a writable lock file", std::strerror(errno), {path});
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err != EWOULDBLOCK) fail("run-lock", "a lockable file", std::strerror(err), {path});
    std::string holder;
    std::ifstream in(path);
    std::getline(in, holder);
    Attempt a;
    a.holder = std::strtol(holder.c_str(), nullptr, 10);
    return a;
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // The lock holds without the pid; a second writer is still refused, only less informatively.
  }
  Attempt a;
  a.lock.reset(new DirLock(Tag{}, fd, canonical_dir(dir)));
  return a;
}

DirLock::DirLock(const std::string& dir) {
  Attempt a = try_lock(dir);
  if (!a.lock)
    fail("run-lock", "no other process writing " + dir,
         a.holder > 0 ? "process " + std::to_string(a.holder) + " holding its lock" : std::string("one holding its lock"),
         {lock_path(dir)});
  std::swap(fd_, a.lock->fd_);
  std::swap(dir_, a.lock->dir_);
}

bool DirLock::held(const std::string& dir) {
  const std::string path = lock_path(dir);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // never locked
  const bool busy = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // releases the shared lock taken to look
  return busy;
}

std::shared_ptr<DirLock> DirLock::hand_over(std::unique_ptr<DirLock> lock) {
  std::shared_ptr<DirLock> shared(std::move(lock));
  std::lock_guard<std::mutex> g(handed_mutex());
  shared->handed_over_ = true;
  handed()[shared->dir_] = shared;
  return shared;
}

std::shared_ptr<DirLock> DirLock::for_writer(const std::string& dir) {
  {
    std::lock_guard<std::mutex> g(handed_mutex());
    const auto it = handed().find(canonical_dir(dir));
    if (it != handed().end())
      if (auto held = it->second.lock()) return held;
  }
  return std::make_shared<DirLock>(dir);
}

DirLock::~DirLock() {
  if (handed_over_) {
    std::lock_guard<std::mutex> g(handed_mutex());
    const auto it = handed().find(dir_);
    if (it != handed().end() && it->second.expired()) handed().erase(it);
  }
  if (fd_ < 0) return;
  // Emptied while still held: a finished output folder keeps no pid, so two runs' folders compare
  // equal (make-data's byte-identical data). Only a killed writer leaves its pid.
  [[maybe_unused]] const int rc = ::ftruncate(fd_, 0);  // best effort: the lock is released either way
  ::close(fd_);  // releases the flock; the file stays (removing it would race a new locker)
}

size_t remove_stale_temp_files(const std::string& dir) {
  static const std::regex kTemp(R"(.+\.tmp\.(\d+)\.\d+)");
  size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::smatch m;
    if (!std::regex_match(name, m, kTemp)) continue;
    const long pid = std::strtol(m[1].str().c_str(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge
    std::error_code rm;
    if (fs::remove(it->path(), rm)) ++removed;
  }
  return removed;
}

}  // namespace avtune
