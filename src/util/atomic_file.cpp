#include "avtune/util/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "avtune/util/error.h"

namespace avtune {

namespace {
std::string temp_name_for(const std::string& final_path) {
  static int counter = 0;
  return final_path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}
}  // namespace

AtomicFile::AtomicFile(std::string final_path) : final_(std::move(final_path)), temp_(temp_name_for(final_)) {
  auto parent = std::filesystem::path(final_).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  out_.open(temp_, std::ios::binary | std::ios::trunc);
  if (!out_) fail("atomic-write", "a writable file", std::strerror(errno), {temp_});
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    if (out_.is_open()) out_.close();
    std::remove(temp_.c_str());
  }
}

void AtomicFile::commit() {
  out_.flush();
  if (!out_) fail("atomic-write", "all bytes written", "a stream error", {temp_});
  out_.close();
  if (out_.fail()) fail("atomic-write", "all bytes written", "an error closing the file", {temp_});
  // Some file systems (NFS, a full disk with delayed allocation) report a failed write only here.
  int fd = ::open(temp_.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    fail("atomic-write", "all bytes on disk (fsync)", std::strerror(err), {temp_});
  }
  ::close(fd);
  if (std::rename(temp_.c_str(), final_.c_str()) != 0)
    fail("atomic-write", "rename onto " + final_, std::strerror(errno), {temp_});
  committed_ = true;
  // The rename is durable once the directory is synced; a failure here loses no data already renamed.
  auto parent = std::filesystem::path(final_).parent_path();
  int dfd = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void write_file_atomic(const std::string& path, const std::string& contents) {
  AtomicFile f(path);
  f.stream().write(contents.data(), static_cast<std::streamsize>(contents.size()));
  f.commit();
}

}  // namespace avtune
