#pragma once
// The torchaudio reference outputs the audio tests compare against (tests/reference/make_fixtures.py).
#include <filesystem>

#include "avtune/io/weights_file.h"
#include "../test_support.h"

namespace avtune::test {

// Empty when the fixture is missing; test::fixture() has then already failed the test.
inline const StateDict& audio_reference() {
  static const StateDict sd = [] {
    const auto p = fixture("audio/reference.pth");
    return std::filesystem::exists(p) ? load_weights(p) : StateDict{};
  }();
  return sd;
}

}  // namespace avtune::test
