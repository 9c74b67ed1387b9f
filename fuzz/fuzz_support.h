#pragma once
// Shared by the fuzz targets: the input as a file (memfd: no disk, the same path-based code the CLI
// runs) and the rule that a hostile input may only end in an avtune::Error (docs/reliability.md).
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "avtune/util/error.h"

namespace avtune::fuzz {

// The fuzz input as an anonymous in-memory file, opened by path (/proc/self/fd/N).
class MemFile {
 public:
  MemFile(const uint8_t* data, size_t size, const char* name = "fuzz-input") {
    fd_ = memfd_create(name, 0);
    if (fd_ < 0) { std::perror("memfd_create"); std::abort(); }
    size_t off = 0;
    while (off < size) {
      const ssize_t w = ::write(fd_, data + off, size - off);
      if (w <= 0) { std::perror("memfd write"); std::abort(); }
      off += static_cast<size_t>(w);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// Runs f; an avtune::Error is a clean rejection. Any other exception is a finding (a vague error the
// CLI would print without the file's name, e.g. a raw JSON or LibTorch message): abort, so libFuzzer
// saves the input. AVTUNE_FUZZ_LENIENT=1 accepts every std::exception (to look for signals only).
template <class F>
void expect_clean(F&& f) {
  try {
    f();
  } catch (const Error&) {
  } catch (const std::exception& e) {
    static const bool lenient = [] {
      const char* v = std::getenv("AVTUNE_FUZZ_LENIENT");
      return v && *v == '1';
    }();
    if (lenient) return;
    std::fprintf(stderr, "avtune-fuzz: expected an avtune::Error, got another exception: %s\n", e.what());
    std::abort();
  }
}

}  // namespace avtune::fuzz
