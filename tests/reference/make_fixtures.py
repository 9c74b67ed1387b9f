#!/usr/bin/env python3
"""Makes the PyTorch-side fixtures avtune's tests compare against, with Debian's python3-torch and
python3-torchvision as the reference. Usage: make_fixtures.py OUTDIR. Deterministic (seeded)."""
import argparse
import collections
import copy
import os
import sys

import numpy as np
import torch
import torchvision


def resnet_fixture(out, depth, seed):
    torch.manual_seed(seed)
    model = getattr(torchvision.models, f"resnet{depth}")(weights=None)
    # Non-trivial BN parameters and statistics, so train and eval mode differ and every buffer matters.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(3)
    torch.save(model.state_dict(), os.path.join(out, f"resnet{depth}_state.pth"))
    x = torch.randn(2, 3, 64, 80)
    encoder = torch.nn.Sequential(*list(model.children())[:-2])
    res = {"input": x}
    model.eval()
    with torch.no_grad():
        res["feat_eval"] = encoder(x)
        res["logits_eval"] = model(x)
    train_model = copy.deepcopy(model).train()
    train_encoder = torch.nn.Sequential(*list(train_model.children())[:-2])
    with torch.no_grad():
        res["feat_train"] = train_encoder(x)
    # Running statistics after that one train-mode pass (momentum 0.1).
    res["bn1_running_mean_after"] = train_model.bn1.running_mean.clone()
    res["bn1_running_var_after"] = train_model.bn1.running_var.clone()
    res["layer4_1_bn2_running_var_after"] = train_model.layer4[1].bn2.running_var.clone()
    torch.save(res, os.path.join(out, f"resnet{depth}_io.pth"))


def loader_fixtures(out):
    g = torch.Generator().manual_seed(1)
    t1 = torch.randn(3, 4, generator=g)
    t2 = torch.randn(5, generator=g)
    # 1. plain dict
    torch.save({"a": t1, "b": t2}, os.path.join(out, "plain_dict.pth"))
    # 2. nested checkpoint with non-tensor entries, as training scripts save them
    sd = collections.OrderedDict([("conv.weight", t1), ("conv.bias", t2)])
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("conv", {"version": 1})])
    torch.save({"model": sd, "epoch": 7, "best_acc": np.float64(0.625), "lr": 0.01, "name": "run-1",
                "args": argparse.Namespace(lr=0.1, batch=64), "history": [1, 2, 3], "flag": True,
                "big": 2 ** 40, "neg": -5},
               os.path.join(out, "nested.pth"))
    # 3. DataParallel / joint-model prefixes
    torch.save(collections.OrderedDict([("module.conv.weight", t1), ("module.conv.bias", t2)]),
               os.path.join(out, "module_prefix.pth"))
    torch.save({"model": collections.OrderedDict([("audio_net.conv.weight", t1), ("visual_net.conv.weight", t1 * 2),
                                                  ("fusion_module.fc_out.bias", t2)])},
               os.path.join(out, "joint_prefix.pth"))
    # 4. dtypes: arange(6).reshape(2, 3) in each
    dt = {"f16": torch.float16, "f32": torch.float32, "f64": torch.float64, "bf16": torch.bfloat16,
          "i64": torch.int64, "i32": torch.int32, "i16": torch.int16, "i8": torch.int8, "u8": torch.uint8,
          "b": torch.bool}
    torch.save({k: torch.arange(6).reshape(2, 3).to(v) for k, v in dt.items()}, os.path.join(out, "dtypes.pth"))
    # 5. views sharing one storage, non-contiguous
    base = torch.arange(24, dtype=torch.float32).view(4, 6)
    shared = {"base": base, "t": base.t(), "row": base[1], "cols": base[:, 2:5], "same": base,
              "strided": base[::2, ::3], "empty": torch.zeros(0, 3)}
    torch.save(shared, os.path.join(out, "shared.pth"))
    # 6. the pre-1.6 (legacy) format, with a view and a nested dict
    torch.save({"model": collections.OrderedDict([("w", base), ("wt", base.t())]), "epoch": 2},
               os.path.join(out, "legacy.pth"), _use_new_zipfile_serialization=False)
    # 7. nn.Parameter values
    torch.save({"p": torch.nn.Parameter(t1.clone())}, os.path.join(out, "parameter.pth"))
    # 8. a scalar (0-d) tensor and a protocol-4 pickle
    torch.save({"s": torch.tensor(3.5), "v": t2}, os.path.join(out, "proto4.pth"), pickle_protocol=4)
    # 9. not a state dict at all
    torch.save([1, 2, 3], os.path.join(out, "a_list.pth"))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    resnet_fixture(out, 18, seed=18)
    resnet_fixture(out, 34, seed=34)
    loader_fixtures(out)
    with open(os.path.join(out, "VERSIONS"), "w") as f:
        f.write(f"torch {torch.__version__}\ntorchvision {torchvision.__version__}\n")
    print("fixtures written to", out)


if __name__ == "__main__":
    main()
