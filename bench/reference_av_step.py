#!/usr/bin/env python3
"""PyTorch reference for `avtune bench model`: the same audio-visual model (torchvision ResNet
encoders, concat head) and training step on synthetic inputs. Prints one JSON line."""
import argparse, contextlib, json, statistics, time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


def encoder(depth, in_ch, width):
    if width != 1.0:
        raise SystemExit("reference: only width 1.0 is available from torchvision")
    net = getattr(torchvision.models, f"resnet{depth}")(weights=None)
    if in_ch != 3:
        net.conv1 = nn.Conv2d(in_ch, 64, 7, 2, 3, bias=False)
    return nn.Sequential(*list(net.children())[:-2])


class AV(nn.Module):
    def __init__(self, depth, width, classes):
        super().__init__()
        self.audio_net = encoder(depth, 1, width)
        self.visual_net = encoder(depth, 3, width)
        self.fc_out = nn.Linear(1024, classes)

    def forward(self, audio, visual):
        b, c, t, h, w = visual.shape
        a = F.adaptive_avg_pool2d(self.audio_net(audio), 1).flatten(1)
        f = self.visual_net(visual.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w))
        f = f.view(b, t, *f.shape[1:]).permute(0, 2, 1, 3, 4)
        v = F.adaptive_avg_pool3d(f, 1).flatten(1)
        return self.fc_out(torch.cat([a, v], 1))


def main():
    p = argparse.ArgumentParser()
    for k, v in dict(depth=18, batch=4, audio_frames=1024, mel_bins=128, clip_frames=3, image_size=224,
                     classes=31, warmup=1, steps=5, threads=0, seed=0).items():
        p.add_argument("--" + k.replace("_", "-"), type=int, default=v)
    p.add_argument("--width", type=float, default=1.0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "fp16"])
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = AV(a.depth, a.width, a.classes).train().to(a.device)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    audio = torch.randn(a.batch, 1, a.audio_frames, a.mel_bins).to(a.device)
    visual = torch.randn(a.batch, 3, a.clip_frames, a.image_size, a.image_size).to(a.device)
    labels = torch.randint(a.classes, (a.batch,)).to(a.device)
    # torch.autocast around forward and loss, GradScaler for fp16: PyTorch's mixed-precision recipe.
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(a.precision)
    dev_type = torch.device(a.device).type
    scaler = torch.cuda.amp.GradScaler(enabled=a.precision == "fp16")
    times = []
    for s in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        # fp32: no autocast context at all (1.13's CPU autocast rejects any dtype but bf16, even disabled).
        with torch.autocast(dev_type, dtype=dtype) if dtype else contextlib.nullcontext():
            loss = F.cross_entropy(model(audio, visual).float(), labels)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        loss.item()  # synchronises a GPU too
        if s >= a.warmup:
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(json.dumps({"seconds_per_step": med, "samples_per_second": a.batch / med,
                      "threads": torch.get_num_threads(), "torch": torch.__version__, "device": a.device,
                      "precision": a.precision}))


if __name__ == "__main__":
    main()
