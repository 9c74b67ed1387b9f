// avtune ckpt info|convert|init
#include <cstdio>
#include <memory>

#include "avtune/io/reference_layout.h"
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
    struct Opts {
      std::string file, key;
    };
    auto o = std::make_shared<Opts>();
    info->add_option("FILE", o->file, "a .pth (torch.save, zip or legacy) or .safetensors file")->required()->check(CLI::ExistingFile);
    info->add_option("--key", o->key, "sub-dict holding the weights (default: the file itself or 'state_dict'/'model'/...)");
    info->callback([o] { std::fputs(describe_weights_file(o->file, o->key).c_str(), stdout); });
  }
  {
    auto* conv = ckpt->add_subcommand("convert", "Convert weights between .pth and .safetensors (by OUT's extension) and between avtune's and the reference's ABRi names");
    struct Opts {
      std::string in, out, key, strip, select, adapt, layout;
      int in_channels = 0;
    };
    auto o = std::make_shared<Opts>();
    conv->add_option("IN", o->in, "input weight file")->required()->check(CLI::ExistingFile);
    conv->add_option("OUT", o->out, "output file: .safetensors, or .pth/.pt for torch.save")->required();
    conv->add_option("--key", o->key, "sub-dict holding the weights (default: auto)");
    conv->add_option("--select", o->select, "keep only keys under this prefix and drop it (e.g. audio_net.)");
    conv->add_option("--strip-prefix", o->strip, "remove this prefix where present");
    conv->add_option("--conv1-in", o->in_channels, "adapt conv1.weight to this many input channels (0 = leave)")->capture_default_str();
    conv->add_option("--conv1-adapt", o->adapt, "sum|mean (3->1) or replicate (1->3)")->default_str("sum");
    conv->add_option("--layout", o->layout,
                     "rename the downsample branch: avtune (downsample.0/1) | reference (the reference's ABRi "
                     "downsample.conv/bn); default: as stored")
        ->check(CLI::IsMember({"avtune", "reference"}));
    conv->callback([o] {
      WeightsSource src;
      src.path = o->in;
      src.key = o->key;
      src.avtune_names = false;  // names as stored unless --layout says otherwise
      StateDict sd = load_weights(src);
      if (!o->select.empty()) sd = select_prefix(sd, o->select);
      if (!o->strip.empty()) sd = strip_prefix(sd, o->strip);
      if (o->in_channels > 0)
        adapt_first_conv(sd, "conv1.weight", o->in_channels, parse_conv_adapt(o->adapt.empty() ? "sum" : o->adapt));
      if (o->layout == "avtune") sd = from_reference_layout(sd);
      if (o->layout == "reference") sd = to_reference_layout(sd);
      save_weights(o->out, sd);
      std::printf("wrote %zu tensors to %s (%s)\n", sd.size(), o->out.c_str(), layout_name(detect_layout(sd)).c_str());
    });
  }
  {
    auto* init = ckpt->add_subcommand("init", "Write a freshly initialised model's weights (torchvision init)");
    struct Opts {
      std::string out, kind = "av";
      ModelSpec spec;
      uint64_t seed = 0;
    };
    auto o = std::make_shared<Opts>();
    init->add_option("OUT", o->out, "output file (.pth or .safetensors)")->required();
    init->add_option("--model", o->kind, "encoder|audio|visual|av")->capture_default_str();
    init->add_option("--depth", o->spec.depth, "ResNet depth: 18 or 34")->capture_default_str();
    init->add_option("--width", o->spec.width, "width multiplier (1.0 = the paper)")->capture_default_str()->check(CLI::PositiveNumber);
    init->add_option("--classes", o->spec.num_classes, "number of classes")->capture_default_str()->check(CLI::PositiveNumber);
    init->add_option("--in-channels", o->spec.encoder_in_channels, "input channels (encoder only)")->capture_default_str();
    init->add_option("--seed", o->seed, "random seed")->capture_default_str();
    init->callback([o, &g] {
      apply_runtime(g);
      torch::manual_seed(o->seed);
      ModelSpec spec = o->spec;
      spec.kind = parse_model_kind(o->kind);
      auto model = make_model(spec);
      auto sd = state_dict_of(*model);
      save_weights(o->out, sd);
      std::printf("wrote %s model (%zu tensors, %lld elements) to %s\n", o->kind.c_str(), sd.size(),
                  static_cast<long long>(sd.numel()), o->out.c_str());
    });
  }
}

}  // namespace avtune::cli
