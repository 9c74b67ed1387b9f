#pragma once
// A process-wide memo of the fbank input of audio files (load_fbank_input): from the second epoch
// on, and across the dozens of runs `avtune reproduce` trains in one process, a clip's fbank is
// computed once. Keyed by path and every option; never used with dither (random output).
#include <torch/torch.h>

#include <cstddef>
#include <string>

#include "avtune/audio/audio_transforms.h"

namespace avtune {

// load_fbank_input through the cache. The returned tensor is shared: callers must not modify it.
torch::Tensor cached_fbank_input(const std::string& path, const AudioInputOptions& opts);
// The same written into `out` (load_fbank_input_into): a cached value is copied, one the cache keeps
// is computed, kept and copied; when it keeps no more (or is off), computed straight into `out`.
void cached_fbank_input_into(const std::string& path, const AudioInputOptions& opts, float* out);

// Memory cap (default 1 GiB, or $AVTUNE_FBANK_CACHE_MB; 0 disables). Entries beyond it are not kept.
void set_fbank_cache_limit(size_t bytes);
size_t fbank_cache_bytes();
void clear_fbank_cache();

}  // namespace avtune
