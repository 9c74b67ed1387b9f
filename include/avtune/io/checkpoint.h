#pragma once
// avtune's own training checkpoints: one torch.save-compatible .pth holding
//   {'format': 'avtune-checkpoint/1', 'model': OrderedDict, 'optimizer': OrderedDict,
//    'scheduler': json str, 'epoch': int, 'step': int, 'rng': {'cpu': uint8 tensor}, 'config': json str}
// so a PyTorch user does torch.load(f)['model'] (the reference code's own convention), and an
// optional .safetensors copy of the model weights beside it.
#include <string>

#include "avtune/io/state_dict.h"

namespace avtune {

struct TrainingCheckpoint {
  StateDict model;
  StateDict optimizer;          // flattened optimizer state, named by the training engine
  std::string scheduler_json = "{}";
  std::string config_json = "{}";
  int64_t epoch = 0;            // epochs completed
  int64_t step = 0;             // optimizer steps taken
  torch::Tensor cpu_rng_state;  // torch's default CPU generator state (uint8)
};

// Captures torch's default CPU generator state / restores it.
torch::Tensor capture_cpu_rng();
void restore_cpu_rng(const torch::Tensor& state);

// Atomic (temp file + rename); with `also_safetensors` writes <path minus .pth>.safetensors for the model too.
void save_checkpoint(const std::string& path, const TrainingCheckpoint& ck, bool also_safetensors = false);
TrainingCheckpoint load_checkpoint(const std::string& path);

// True when `path` is an avtune training checkpoint (a torch.save dict whose 'format' is
// 'avtune-checkpoint/1'); false for plain weights (.safetensors, other .pth). An unreadable or
// corrupt file throws naming it, so callers never mistake a broken checkpoint for plain weights.
bool is_run_checkpoint(const std::string& path);

}  // namespace avtune
