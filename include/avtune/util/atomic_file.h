#pragma once
// Write-to-temp-then-rename, so a crash never leaves a half-written file under the final name.
#include <fstream>
#include <functional>
#include <string>

namespace avtune {

class AtomicFile {
 public:
  explicit AtomicFile(std::string final_path);
  ~AtomicFile();  // removes the temp file unless commit() ran
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ofstream& stream() { return out_; }
  const std::string& temp_path() const { return temp_; }
  // Flushes, fsyncs and renames onto the final path; throws avtune::Error on failure.
  void commit();

 private:
  std::string final_, temp_;
  std::ofstream out_;
  bool committed_ = false;
};

// Convenience: writes `contents` atomically.
void write_file_atomic(const std::string& path, const std::string& contents);

}  // namespace avtune
