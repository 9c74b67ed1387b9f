#include "avtune/audio/speech_synth.h"

#include <espeak-ng/speak_lib.h>

#include <algorithm>
#include <filesystem>
#include <mutex>

#include "avtune/audio/audio_file.h"
#include "avtune/util/error.h"

namespace avtune {

namespace fs = std::filesystem;

namespace {
std::mutex g_espeak_mutex;
int g_native_rate = 0;
std::vector<short>* g_sink = nullptr;

int collect(short* wav, int n, espeak_EVENT*) {
  if (wav && n > 0 && g_sink) g_sink->insert(g_sink->end(), wav, wav + n);
  return 0;
}

const char* kInstallHint = "install it with: apt-get install espeak-ng-data libespeak-ng1 (or run scripts/setup.sh)";

void ensure_initialised() {
  if (g_native_rate > 0) return;
  g_native_rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, espeakINITIALIZE_DONT_EXIT);
  if (g_native_rate <= 0) {
    g_native_rate = 0;
    fail("espeak", "an initialised espeak-ng with its voice data", std::string("an error; ") + kInstallHint);
  }
  espeak_SetSynthCallback(collect);
}

fs::path data_dir() {
  for (const char* d : {"/usr/lib/x86_64-linux-gnu/espeak-ng-data", "/usr/lib/aarch64-linux-gnu/espeak-ng-data",
                        "/usr/share/espeak-ng-data", "/usr/local/share/espeak-ng-data"})
    if (fs::is_directory(d)) return d;
  fail("espeak", "the espeak-ng data directory", std::string("none found; ") + kInstallHint);
}
}  // namespace

std::string Voice::describe() const {
  return language + (variant.empty() ? "" : "+" + variant) + " rate=" + std::to_string(rate_wpm) +
         " pitch=" + std::to_string(pitch) + " range=" + std::to_string(range);
}

std::vector<std::string> espeak_variants() {
  const fs::path dir = data_dir() / "voices" / "!v";
  if (!fs::is_directory(dir)) fail("espeak", "voice variants in " + dir.string(), std::string("none; ") + kInstallHint);
  std::vector<std::string> v;
  for (auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) v.push_back(e.path().filename().string());
  std::sort(v.begin(), v.end());
  return v;
}

torch::Tensor speak(const std::string& text, const Voice& voice, int sample_rate) {
  std::vector<short> pcm;
  int native = 0;
  {
    std::lock_guard<std::mutex> lk(g_espeak_mutex);
    ensure_initialised();
    const std::string name = voice.language + (voice.variant.empty() ? "" : "+" + voice.variant);
    if (espeak_SetVoiceByName(name.c_str()) != EE_OK) fail("espeak", "a known voice", "'" + name + "'");
    espeak_SetParameter(espeakRATE, std::clamp(voice.rate_wpm, 80, 450), 0);
    espeak_SetParameter(espeakPITCH, std::clamp(voice.pitch, 0, 100), 0);
    espeak_SetParameter(espeakRANGE, std::clamp(voice.range, 0, 100), 0);
    g_sink = &pcm;
    const espeak_ERROR rc = espeak_Synth(text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, nullptr, nullptr);
    espeak_Synchronize();
    g_sink = nullptr;
    if (rc != EE_OK) fail("espeak", "speech for '" + text + "'", "error code " + std::to_string(rc));
    native = g_native_rate;
  }
  if (pcm.empty()) fail("espeak", "speech samples for '" + text + "'", "none");
  auto wave = torch::from_blob(pcm.data(), {static_cast<int64_t>(pcm.size())}, torch::kShort).to(torch::kFloat) / 32768.0;
  return native == sample_rate ? wave : resample(wave, native, sample_rate);
}

}  // namespace avtune
