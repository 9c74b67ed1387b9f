#pragma once
// Torch-free helpers shared by avtune's tests: reference fixtures, temporary folders, error messages.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>

#include "avtune/util/error.h"

namespace avtune::test {

// A file made by tests/reference/make_fixtures.py; fails the test (never skips) when missing.
inline std::string fixture(const std::string& name) {
  const std::string p = std::string(AVTUNE_FIXTURE_DIR) + "/" + name;
  if (!std::filesystem::exists(p))
    ADD_FAILURE() << "missing reference fixture " << p << " (run the reference_fixtures test; needs python3-torch)";
  return p;
}

// A fresh temporary directory, removed at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("avtune-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
  static int& counter() {
    static int c = 0;
    return c;
  }
};

// The message of what `fn` throws: an avtune::Error's own, any other exception's marked as not ours,
// "no error" when nothing is thrown.
inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("non-avtune exception: ") + e.what();
  }
  return "no error";
}

}  // namespace avtune::test
