#pragma once
// The paper's audio input constants (torch-free, for settings and flags that only name defaults).
#include <cstdint>

namespace avtune {

// Fbank statistics of Kinetics-Sounds used by the reference loader; other data sets have their own.
constexpr double kKineticsSoundsFbankMean = -4.503877;
constexpr double kKineticsSoundsFbankStd = 5.141276;
constexpr int64_t kPaperAudioFrames = 1024;  // 10.24 s at a 10 ms hop

}  // namespace avtune
