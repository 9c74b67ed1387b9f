#pragma once
// Where an encoder's weights come from (--init): random, or a weight file whose encoder is adapted to
// this encoder's input channels (cross-modal initialisation, the paper's cross-modal initialisation: conv1 summed 3->1 for audio,
// replicated 1->3 for frames).
#include <torch/torch.h>

#include <string>

#include "avtune/io/state_dict.h"

namespace avtune {

// Where an encoder's weights come from: "random", or "PATH[:conv1=sum|mean|replicate]".
struct EncoderInit {
  bool random = true;
  std::string path;
  std::string conv1_adapt;  // "" = sum for 3->1 channels, replicate for 1->3
};
EncoderInit parse_encoder_init(const std::string& spec);
std::string to_string(const EncoderInit& init);

// Loads an encoder from a weight file whose keys are the bare encoder's (conv1.weight, ...), or under
// "audio_net."/"visual_net." (a classifier of either modality; `prefer_prefix` wins when both are
// there), adapting conv1 to the encoder's input channels. Keys outside the encoder (fc., ...) are
// reported as unexpected; a missing or mis-shaped encoder key throws. Random init returns an empty report.
// The reference's ABRi names load as they are (io/reference_layout.h). An encoder with ABRi twins takes
// the file's twins and mixing weights when it has them and keeps its fresh ones when it has none; an
// encoder without twins ignores the file's (unexpected).
LoadReport init_encoder(torch::nn::Module& encoder, int64_t in_channels, const EncoderInit& init,
                        const std::string& prefer_prefix);

}  // namespace avtune
