// A --config file whose JSON nlohmann rejects after tokenising (a number too large for a double)
// fails with an avtune::Error naming the file; found by fuzz/fuzz_config (issue 17).
#include <gtest/gtest.h>

#include <fstream>

#include "avtune/train/train_config.h"
#include "../test_support_base.h"

namespace avtune {
namespace {

using test::error_of;
using test::TempDir;

std::string load_error(const std::string& text) {
  TempDir d;
  const std::string path = d.file("config.json");
  std::ofstream(path) << text;
  const std::string e = error_of([&] { load_train_config(path); });
  EXPECT_NE(e.find(path), std::string::npos) << e;
  return e;
}

TEST(ConfigFileErrors, NumberTooLargeForADoubleNamesTheFile) {
  EXPECT_NE(load_error("{\"lr\": 1e99999}").find("train-config: expected valid JSON"), std::string::npos);
  // The fuzzer's input, as it found it.
  EXPECT_NE(load_error("44444000000000000e000000008000000000)005844671516409710364{S\"e{\"").find("expected valid JSON"),
            std::string::npos);
}

TEST(ConfigFileErrors, SyntaxErrorStillNamesTheFile) {
  EXPECT_NE(load_error("{\"lr\": ").find("expected valid JSON"), std::string::npos);
}

}  // namespace
}  // namespace avtune
