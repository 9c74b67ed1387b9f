// avtune ckpt info|convert|init
#include <cstdio>

#include "avtune/io/state_dict.h"
#include "avtune/io/weights_file.h"
#include "avtune/models/model_factory.h"
#include "cli_common.h"

namespace avtune::cli {

void register_ckpt(CLI::App& app, GlobalOptions& g) {
  auto* ckpt = app.add_subcommand("ckpt", "Inspect, convert and create weight files (.pth, .safetensors)");
  ckpt->require_subcommand(1);

  {
    auto* info = ckpt->add_subcommand("info", "Print keys, shapes, dtypes and the parameter count of a weight file");
    static std::string file, key;
    info->add_option("FILE", file, "a .pth (torch.save, zip or legacy) or .safetensors file")->required()->check(CLI::ExistingFile);
    info->add_option("--key", key, "sub-dict holding the weights (default: the file itself or 'state_dict'/'model'/...)");
    info->callback([] { std::fputs(describe_weights_file(file, key).c_str(), stdout); });
  }
  {
    auto* conv = ckpt->add_subcommand("convert", "Convert weights between .pth and .safetensors (by OUT's extension)");
    static std::string in, out, key, strip, select;
    static std::string adapt;
    static int in_channels = 0;
    conv->add_option("IN", in, "input weight file")->required()->check(CLI::ExistingFile);
    conv->add_option("OUT", out, "output file: .safetensors, or .pth/.pt for torch.save")->required();
    conv->add_option("--key", key, "sub-dict holding the weights (default: auto)");
    conv->add_option("--select", select, "keep only keys under this prefix and drop it (e.g. audio_net.)");
    conv->add_option("--strip-prefix", strip, "remove this prefix where present");
    conv->add_option("--conv1-in", in_channels, "adapt conv1.weight to this many input channels (0 = leave)")->capture_default_str();
    conv->add_option("--conv1-adapt", adapt, "sum|mean (3->1) or replicate (1->3)")->default_str("sum");
    conv->callback([] {
      StateDict sd = load_weights(WeightsSource{in, key});
      if (!select.empty()) sd = select_prefix(sd, select);
      if (!strip.empty()) sd = strip_prefix(sd, strip);
      if (in_channels > 0) adapt_first_conv(sd, "conv1.weight", in_channels, parse_conv_adapt(adapt.empty() ? "sum" : adapt));
      save_weights(out, sd);
      std::printf("wrote %zu tensors to %s\n", sd.size(), out.c_str());
    });
  }
  {
    auto* init = ckpt->add_subcommand("init", "Write a freshly initialised model's weights (torchvision init)");
    static std::string out, kind = "av";
    static ModelSpec spec;
    static uint64_t seed = 0;
    init->add_option("OUT", out, "output file (.pth or .safetensors)")->required();
    init->add_option("--model", kind, "encoder|audio|visual|av")->capture_default_str();
    init->add_option("--depth", spec.depth, "ResNet depth: 18 or 34")->capture_default_str();
    init->add_option("--width", spec.width, "width multiplier (1.0 = the paper)")->capture_default_str();
    init->add_option("--classes", spec.num_classes, "number of classes")->capture_default_str();
    init->add_option("--in-channels", spec.encoder_in_channels, "input channels (encoder only)")->capture_default_str();
    init->add_option("--seed", seed, "random seed")->capture_default_str();
    init->callback([&g] {
      apply_runtime(g);
      torch::manual_seed(seed);
      spec.kind = parse_model_kind(kind);
      auto model = make_model(spec);
      auto sd = state_dict_of(*model);
      save_weights(out, sd);
      std::printf("wrote %s model (%zu tensors, %lld elements) to %s\n", kind.c_str(), sd.size(),
                  static_cast<long long>(sd.numel()), out.c_str());
    });
  }
}

}  // namespace avtune::cli
