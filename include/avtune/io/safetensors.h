#pragma once
// The safetensors format: 8-byte little-endian header length, a JSON header, raw little-endian data.
#include <map>
#include <string>

#include "avtune/io/state_dict.h"

namespace avtune {

struct SafetensorsFile {
  StateDict tensors;                            // in file order of their data offsets
  std::map<std::string, std::string> metadata;  // the "__metadata__" entry
};

SafetensorsFile load_safetensors(const std::string& path);
// Atomic; tensors are written contiguous, in the StateDict's order.
void save_safetensors(const std::string& path, const StateDict& sd,
                      const std::map<std::string, std::string>& metadata = {});
bool looks_like_safetensors(const std::string& path);

}  // namespace avtune
