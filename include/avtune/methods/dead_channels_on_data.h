#pragma once
// Dead-channel diagnosis of an encoder on real data (the paper's dead-channel analysis, Fig. 2): the parameter view of
// methods/dead_channels.h plus the activation view measured on a data set split. The one
// implementation behind `avtune diagnose --data` and the study's diagnosis stage.
//
// Cross-modal on purpose: the paper measures a source encoder on the target modality (a visual
// model on audio, an audio model on frames), so input channels are adapted as in training:
// 3 -> 1 by the mean over RGB, 1 -> 3 by repeating the single channel.
#include <cstdint>
#include <string>

#include "avtune/data/dataset_spec.h"
#include "avtune/io/state_dict.h"
#include "avtune/methods/dead_channels.h"

namespace avtune {

struct OnDataOptions {
  int64_t max_samples = 512;   // the first samples of the split, in file order (no shuffle)
  int64_t batch_size = 64;
  int workers = 2;             // loader threads; the order does not depend on them
  std::string device = "auto";
};

// The encoder under `prefix` (e.g. "visual_net."; "" = the whole file), prefix dropped, from an avtune
// run checkpoint or any weights file load_weights reads; `key` picks a sub-dict as load_weights does.
StateDict load_encoder_weights(const std::string& path, const std::string& prefix, const std::string& key = "");

// Input of an encoder with `in_channels` channels from a batch's audio (B,1,T,F) or visual (B,3,T,H,W)
// or (B,3,H,W) tensor: frames folded into the batch, channels adapted 1 <-> 3.
torch::Tensor encoder_input(const torch::Tensor& audio, const torch::Tensor& visual, Modality on, int64_t in_channels);

// Adds the activation view on `split` of `spec` in modality `on` to `d` (the parameter view of the
// same weights); `encoder_sd` holds encoder keys without prefix.
void add_activation_view(Diagnosis& d, const StateDict& encoder_sd, const std::string& source, const DatasetSpec& spec,
                         const std::string& split, Modality on, const OnDataOptions& o);

// Parameter view of `encoder_sd` plus its activation view.
Diagnosis diagnose_on_data(const StateDict& encoder_sd, const std::string& source, const DatasetSpec& spec,
                           const std::string& split, Modality on, const DiagnoseOptions& dopts, const OnDataOptions& o);

// The same for the encoder under `prefix` of the weights in `ckpt` (named as the source).
Diagnosis diagnose_on_data(const std::string& ckpt, const std::string& prefix, const DatasetSpec& spec,
                           const std::string& split, Modality on, const DiagnoseOptions& dopts, const OnDataOptions& o);

}  // namespace avtune
