#pragma once
// Spoken words from the libespeak-ng library (Debian's espeak-ng), for the embedded data sets.
// eSpeak keeps global state, so every call is serialised through one process-wide lock.
#include <torch/torch.h>

#include <string>
#include <vector>

namespace avtune {

struct Voice {
  std::string language = "en";  // espeak-ng voice name
  std::string variant;           // "" or a variant from espeak-ng-data/voices/!v (e.g. "m3", "f2", "croak")
  int rate_wpm = 175;            // espeakRATE, 80..450
  int pitch = 50;                // espeakPITCH, 0..100
  int range = 50;                // espeakRANGE (intonation), 0..100
  std::string describe() const;  // "en+m3 rate=160 pitch=40 range=50"
};

// The variant names this machine's espeak-ng data provides, sorted. Throws a clear error telling how
// to install espeak-ng-data when the data directory is missing.
std::vector<std::string> espeak_variants();

// Speaks `text` with `voice`: float32 mono samples in [-1, 1] at `sample_rate` (resampled from
// eSpeak's native rate). Throws avtune::Error when eSpeak is unavailable or produces nothing.
torch::Tensor speak(const std::string& text, const Voice& voice, int sample_rate = 16000);

}  // namespace avtune
