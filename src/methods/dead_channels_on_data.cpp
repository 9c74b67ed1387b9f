#include "avtune/methods/dead_channels_on_data.h"

#include "avtune/data/loader.h"
#include "avtune/io/weights_file.h"
#include "avtune/methods/abri.h"
#include "avtune/models/classifiers.h"
#include "avtune/util/error.h"
#include "avtune/util/runtime.h"

namespace avtune {

StateDict load_encoder_weights(const std::string& path, const std::string& prefix, const std::string& key) {
  // load_weights reads an avtune run checkpoint's 'model' dict too, so one loader serves both.
  WeightsSource src;
  src.path = path;
  src.key = key;
  return strip_prefix(select_prefix(load_weights(src), prefix), prefix);
}

torch::Tensor encoder_input(const torch::Tensor& audio, const torch::Tensor& visual, Modality on, int64_t in_channels) {
  int64_t T = 1;
  torch::Tensor x = on == Modality::Audio ? audio : clips_to_frames(visual, ClipLayout::BCTHW, 3, &T);
  if (x.size(1) != in_channels) x = in_channels == 1 ? x.mean(1, true) : x.expand({-1, in_channels, -1, -1});
  return x;
}

void add_activation_view(Diagnosis& d, const StateDict& encoder_sd, const std::string& source, const DatasetSpec& spec,
                         const std::string& split, Modality on, const OnDataOptions& o) {
  if (on == Modality::AV) fail("diagnose", "one modality for the activation view (audio|visual)", "av", {source});
  const ResNetConfig cfg = infer_resnet_config(encoder_sd, source);
  DatasetSpec s = spec;
  s.modality = on;
  auto ds = open_dataset(s, split, /*train=*/false);
  LoaderOptions lo;
  lo.batch_size = o.batch_size;
  lo.shuffle = false;  // the first max_samples in file order: the same samples every time
  lo.workers = o.workers;
  DataLoader loader(ds, lo);
  ResNetEncoder enc(cfg);
  // An ABRi encoder is measured as trained: the BN outputs seen are the mixes.
  if (const AbriMode m = abri_mode_of(encoder_sd); m != AbriMode::None) enc->enable_abri({m, 0.5});
  load_state_dict(*enc, encoder_sd);
  const auto device = resolve_device(o.device);
  enc->to(device);
  loader.start_epoch(0);
  diagnose_activations(*enc, [&]() -> std::optional<torch::Tensor> {
    auto b = loader.next();
    if (!b) return std::nullopt;
    return encoder_input(b->audio, b->visual, on, cfg.in_channels).to(device);
  }, d, o.max_samples);
}

Diagnosis diagnose_on_data(const StateDict& encoder_sd, const std::string& source, const DatasetSpec& spec,
                           const std::string& split, Modality on, const DiagnoseOptions& dopts, const OnDataOptions& o) {
  Diagnosis d = diagnose_parameters(encoder_sd, dopts, source);
  add_activation_view(d, encoder_sd, source, spec, split, on, o);
  return d;
}

Diagnosis diagnose_on_data(const std::string& ckpt, const std::string& prefix, const DatasetSpec& spec,
                           const std::string& split, Modality on, const DiagnoseOptions& dopts, const OnDataOptions& o) {
  return diagnose_on_data(load_encoder_weights(ckpt, prefix), ckpt, spec, split, on, dopts, o);
}

}  // namespace avtune
