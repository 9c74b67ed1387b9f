#!/usr/bin/env python3
"""Checks that files avtune wrote load in PyTorch. Usage:
  check_torch_load.py weights FILE.pth KIND DEPTH   -> strict load into torchvision resnet (encoder keys)
  check_torch_load.py checkpoint FILE.pth           -> avtune training checkpoint layout"""
import sys

import torch
import torchvision


def main():
    mode, path = sys.argv[1], sys.argv[2]
    obj = torch.load(path, map_location="cpu")
    if mode == "weights":
        depth = int(sys.argv[4])
        sd = obj
        ref = getattr(torchvision.models, f"resnet{depth}")(weights=None)
        ref_keys = [k for k in ref.state_dict().keys() if not k.startswith("fc.")]
        assert list(sd.keys()) == ref_keys, f"keys differ: {set(sd) ^ set(ref_keys)}"
        missing, unexpected = ref.load_state_dict(sd, strict=False)
        assert missing == ["fc.weight", "fc.bias"] and not unexpected, (missing, unexpected)
        print(f"ok: {len(sd)} tensors load into torchvision resnet{depth}")
    elif mode == "checkpoint":
        for k in ("format", "model", "optimizer", "epoch", "step", "rng", "config"):
            assert k in obj, f"missing {k}"
        assert obj["format"] == "avtune-checkpoint/1"
        assert all(isinstance(v, torch.Tensor) for v in obj["model"].values())
        print(f"ok: checkpoint epoch {obj['epoch']} with {len(obj['model'])} model tensors")
    else:
        raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    main()
