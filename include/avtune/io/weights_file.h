#pragma once
// One entry point for weight files, whatever their format (.pth zip, legacy .pth, .safetensors),
// plus the description `avtune ckpt info` prints.
#include <string>

#include "avtune/io/state_dict.h"

namespace avtune {

enum class WeightsFormat { PthZip, PthLegacy, Safetensors };
WeightsFormat detect_weights_format(const std::string& path);  // by content, not extension
std::string format_name(WeightsFormat f);

struct WeightsSource {
  std::string path;
  std::string key;                // sub-dict to read ("" = auto: the dict itself or 'state_dict'/'model'/...)
  bool strip_wrappers = true;     // drop a DataParallel "module." prefix present on every key
  // The reference's ABRi names for the downsample branch (downsample.conv/bn) become avtune's
  // (downsample.0/1), so its checkpoints load as they are (io/reference_layout.h).
  bool avtune_names = true;
};
StateDict load_weights(const WeightsSource& src);
inline StateDict load_weights(const std::string& path) {
  WeightsSource src;
  src.path = path;
  return load_weights(src);
}

// Format chosen by the extension of `path`: .safetensors, else .pth/.pt/.bin as a torch.save zip.
void save_weights(const std::string& path, const StateDict& sd);

// Multi-line description: format, non-tensor entries (epoch, config, ...), the layout of the names
// (e.g. "reference ABRi layout"), each tensor's key, shape, dtype (names as stored), and the parameter count.
std::string describe_weights_file(const std::string& path, const std::string& key = "");

}  // namespace avtune
