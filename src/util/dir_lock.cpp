#include "avtune/util/dir_lock.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>

#include "avtune/util/error.h"

namespace avtune {

namespace fs = std::filesystem;

DirLock::DirLock(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail("run-lock", "a directory it can create", ec.message(), {dir});
  const std::string path = (fs::path(dir) / kFileName).string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("run-lock", "a writable lock file", std::strerror(errno), {path});
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    std::string holder;
    std::ifstream in(path);
    std::getline(in, holder);
    ::close(fd_);
    fd_ = -1;
    if (err != EWOULDBLOCK) fail("run-lock", "a lockable file", std::strerror(err), {path});
    fail("run-lock", "no other process writing " + dir,
         holder.empty() ? std::string("one holding its lock") : "process " + holder + " holding its lock", {path});
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // The lock holds without the pid; a second writer is still refused, only less informatively.
  }
}

DirLock::~DirLock() {
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
