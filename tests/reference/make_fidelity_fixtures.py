#!/usr/bin/env python3
"""Fixtures for the reference-fidelity tests (issue 16), with Debian's python3-torch/torchaudio as the
reference. Usage: make_fidelity_fixtures.py OUTDIR. Deterministic (seeded).

The reference code's rules are restated here (from the released loaders and models, see
docs/fusion_tuning.md, docs/vision.md, docs/audio.md), not imported:
  masks.json       Fusion Tuning's ratios as the reference computes them: per sample (masked only when
                   > 0), mean mode (mean of the raw ratios, masked only when > 0), patch counts
                   int(total * ratio); plus ratios just below k/512 (the CSV precision check).
  frames.json      the reference's frame picks: eval indices and training ranges per clip length.
  audio/*.wav      16-, 24-, 32-bit PCM and 32-/64-bit float files (peaks beyond 1 in the float ones),
                   written byte by byte so the stored values are known;
  audio/reference.pth  torchaudio.load of each (wave.<name>), the stored values (stored.<name>), and
                   the reference loader's fbank input from each (pipeline.<name>) and from the stored
                   values (pipeline_stored.<name>).
  abri/ref_audio_batch.pth    an audio classifier in the reference's ABRi layout (audio_net. with
                   downsample.conv/bn, bn1_addition, fusion_weight1, ...; fc.), batch mode, width 1/8,
                   1 input channel, 10 classes, BN statistics and alphas away from their initial values.
  abri/ref_encoder_channel.pth a bare encoder in the same layout, channel mode.
  abri/io.pth      inputs and the reference models' outputs (eval mode) for both.
"""
import json
import math
import os
import struct
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio
from torchaudio.compliance import kaldi


# ---------------------------------------------------------------- Fusion Tuning's ratios
def reference_ratio(ca, cv, tau, eta_a, eta_v, rho_a, rho_v):
    """The released rule for one sample, before "ratio <= 0 means no mask"."""
    if cv >= tau:
        return float(np.tanh(eta_a * (ca - cv)) * rho_a), 0.0
    if ca >= tau:
        return 0.0, float(np.tanh(eta_v * (cv - ca)) * rho_v)
    return 0.0, 0.0


def patch_count(total, ratio):
    """The reference masks only a positive ratio, int(total * ratio) patches."""
    return int(total * ratio) if ratio > 0 else 0


def mask_case(name, conf, p):
    raw = [reference_ratio(a, v, p["tau"], p["eta_audio"], p["eta_visual"], p["rho_audio"], p["rho_visual"])
           for a, v in conf]
    mean_a = float(np.mean([r[0] for r in raw]))
    mean_v = float(np.mean([r[1] for r in raw]))
    return {
        "name": name, "params": p, "confidences": [[a, v] for a, v in conf],
        "raw": [[a, v] for a, v in raw],
        "audio_patches": [patch_count(512, r[0]) for r in raw],
        "visual_patches": [patch_count(484, r[1]) for r in raw],
        "mean": [mean_a, mean_v],
        "mean_audio_patches": patch_count(512, mean_a), "mean_visual_patches": patch_count(484, mean_v),
        # avtune's earlier mean mode, kept as an option: the mean of the clamped ratios.
        "mean_of_clamped": [float(np.mean([max(0.0, r[0]) for r in raw])), float(np.mean([max(0.0, r[1]) for r in raw]))],
    }


def make_masks(out):
    rng = np.random.RandomState(16)
    p = {"tau": 0.5, "eta_audio": 3.0, "eta_visual": 3.0, "rho_audio": 0.5, "rho_visual": 0.5}
    cases = []
    # Typical stage-1 confidences: the raw mean is negative, so mean mode masks nothing.
    conf = [(float(a), float(v)) for a, v in zip(rng.uniform(0, 1, 200), rng.uniform(0, 1, 200))]
    cases.append(mask_case("uniform", conf, p))
    # Audio mostly more confident than a confident visual model: a positive mean.
    conf = [(float(a), float(v)) for a, v in zip(rng.uniform(0.6, 1, 100), rng.uniform(0.5, 0.9, 100))]
    cases.append(mask_case("audio_ahead", conf, p))
    # Only audio confident: the visual branch's tanh is negative for every sample.
    conf = [(float(a), float(v)) for a, v in zip(rng.uniform(0.5, 1, 50), rng.uniform(0, 0.49, 50))]
    cases.append(mask_case("visual_branch", conf, dict(p, eta_visual=2.0, rho_visual=0.8)))
    assert cases[0]["mean"][0] < 0 and cases[1]["mean"][0] > 0 and cases[2]["mean"][1] < 0

    # Ratios just below k/512 where k/512 has 6 decimals (k = 8m): written with 6 decimals they read
    # back as k/512 and mask one patch more than the reference.
    precision = []
    p = dict(p, rho_audio=0.9)  # ratios up to 1/2 with confidences in [0, 1]
    for k in (8, 16, 64, 136, 256):
        target = k / 512 - 2e-7
        cv = 0.6
        ca = cv + math.atanh(target / p["rho_audio"]) / p["eta_audio"]
        assert 0 <= ca <= 1
        r, _ = reference_ratio(ca, cv, p["tau"], p["eta_audio"], p["eta_visual"], p["rho_audio"], p["rho_visual"])
        rounded = float("%.6f" % r)
        assert patch_count(512, r) == k - 1 and patch_count(512, rounded) == k, (k, r)
        precision.append({"audio": ca, "visual": cv, "ratio": r, "audio_patches": k - 1})
    with open(os.path.join(out, "masks.json"), "w") as f:
        json.dump({"cases": cases, "precision": {"params": p, "samples": precision}}, f)


# ---------------------------------------------------------------- frame sampling
def reference_frames(n, t):
    """The reference loader's picks for a clip of n frames, t segments (0-based; None where it fails)."""
    seg = n // t
    evals, ranges = [], []
    for i in range(t):
        chosen = i * seg + seg // 2  # 1-based frame number, as frame_0000<k>.jpg
        evals.append(chosen - 1 if chosen >= 1 else None)  # frame 0 does not exist
        # random.randint(i*seg + 1, i*seg + seg), inclusive, 1-based
        ranges.append([i * seg, i * seg + seg - 1] if seg >= 1 else None)
    return evals, ranges


def make_frames(out):
    cases = []
    for t in (1, 2, 3, 4, 5):
        for n in range(1, 41):
            e, r = reference_frames(n, t)
            cases.append({"frames": n, "segments": t, "eval": e, "train_ranges": r})
    with open(os.path.join(out, "frames.json"), "w") as f:
        json.dump(cases, f)


# ---------------------------------------------------------------- float and high-resolution WAV
def write_wav(path, data, rate, tag, bits):
    """data: (channels, n) array of the values to store (ints for PCM, floats for IEEE float)."""
    ch, n = data.shape
    inter = data.T.reshape(-1)
    if tag == 3:
        payload = inter.astype("<f4" if bits == 32 else "<f8").tobytes()
    elif bits == 16:
        payload = inter.astype("<i2").tobytes()
    elif bits == 32:
        payload = inter.astype("<i4").tobytes()
    else:  # 24-bit little-endian
        v = inter.astype("<i4")
        b = v.view(np.uint8).reshape(-1, 4)[:, :3]
        payload = b.tobytes()
    block = ch * bits // 8
    fmt = struct.pack("<HHIIHH", tag, ch, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    if tag == 3:
        body += b"fact" + struct.pack("<II", 4, n)
    body += b"data" + struct.pack("<I", len(payload)) + payload
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def paper_input(wave, rate):
    """The reference loader's audio input from a (channels, n) waveform."""
    w = wave - wave.mean()
    fb = kaldi.fbank(w, htk_compat=True, sample_frequency=rate, use_energy=False, window_type="hanning",
                     num_mel_bins=128, dither=0.0, frame_shift=10)
    p = 1024 - fb.shape[0]
    fb = torch.nn.ZeroPad2d((0, 0, 0, p))(fb) if p > 0 else fb[:1024]
    return (fb - (-4.503877)) / (5.141276 * 2)


def make_audio(out):
    d = os.path.join(out, "audio")
    os.makedirs(d, exist_ok=True)
    rng = np.random.RandomState(4)
    rate, n = 16000, 3 * 16000
    t = np.arange(n) / rate
    # A loud tone pair with noise: peaks of about 1.74 in the float files.
    base = 0.9 * np.sin(2 * np.pi * 440 * t) + 0.5 * np.sin(2 * np.pi * 1250 * t + 0.3) + 0.05 * rng.randn(n)
    base *= 1.74 / np.abs(base).max()
    files = {
        "pcm16": (1, 16, np.round(np.clip(base / 1.8, -1, 1) * 32767)[None]),
        "pcm24": (1, 24, np.round(np.clip(base / 1.8, -1, 1) * 8388607)[None]),
        "pcm32": (1, 32, (rng.randint(-2**31, 2**31 - 1, size=n, dtype=np.int64))[None] // 7 +
                         np.round(base / 1.8 * 2**30).astype(np.int64)[None]),
        "float32": (3, 32, base.astype(np.float32)[None]),
        "float64": (3, 64, (base * 0.8 + 1e-9 * rng.randn(n))[None]),
        "float32_quiet": (3, 32, (base / 2.0).astype(np.float32)[None]),
    }
    ref = {}
    for name, (tag, bits, data) in files.items():
        path = os.path.join(d, name + ".wav")
        write_wav(path, data, rate, tag, bits)
        wave, sr = torchaudio.load(path)
        assert sr == rate
        if tag == 3:
            stored = torch.from_numpy(np.asarray(data, dtype=np.float64)).float()
        else:
            stored = torch.from_numpy(np.asarray(data, dtype=np.float64) / 2.0 ** (bits - 1)).float()
        ref["wave." + name] = wave.contiguous()
        ref["stored." + name] = stored.contiguous()
        ref["pipeline." + name] = paper_input(wave, sr).contiguous()
        ref["pipeline_stored." + name] = paper_input(stored, sr).contiguous()
    torch.save(ref, os.path.join(d, "reference.pth"))


# ---------------------------------------------------------------- ABRi in the reference's names
def mix(bn, twin, alpha, x):
    return alpha * bn(x) + (1 - alpha) * twin(x)


def twin_parameter(fusion, c):
    return nn.Parameter(torch.full((1,) if fusion == "batch" else (1, c, 1, 1), 0.5))


class RefDownSample(nn.Module):
    def __init__(self, cin, cout, stride, fusion):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 1, stride=stride, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.bn_addition = nn.BatchNorm2d(cout)
        self.fusion_weight = twin_parameter(fusion, cout)

    def forward(self, x):
        return mix(self.bn, self.bn_addition, self.fusion_weight, self.conv(x))


class RefBlock(nn.Module):
    def __init__(self, cin, c, stride, fusion):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.bn1_addition = nn.BatchNorm2d(c)
        self.fusion_weight1 = twin_parameter(fusion, c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.bn2_addition = nn.BatchNorm2d(c)
        self.fusion_weight2 = twin_parameter(fusion, c)
        self.downsample = RefDownSample(cin, c, stride, fusion) if stride != 1 or cin != c else None

    def forward(self, x):
        out = F.relu(mix(self.bn1, self.bn1_addition, self.fusion_weight1, self.conv1(x)))
        out = mix(self.bn2, self.bn2_addition, self.fusion_weight2, self.conv2(out))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


class RefAbriResNet18(nn.Module):
    def __init__(self, in_channels, width, fusion):
        super().__init__()
        w = [int(64 * width * m) for m in (1, 2, 4, 8)]
        self.conv1 = nn.Conv2d(in_channels, w[0], 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(w[0])
        self.bn1_addition = nn.BatchNorm2d(w[0])
        self.fusion_weight = twin_parameter(fusion, w[0])
        cin = w[0]
        for s in range(4):
            blocks = [RefBlock(cin, w[s], 2 if s > 0 else 1, fusion), RefBlock(w[s], w[s], 1, fusion)]
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*blocks))
            cin = w[s]

    def forward(self, x):
        x = F.relu(mix(self.bn1, self.bn1_addition, self.fusion_weight, self.conv1(x)))
        x = F.max_pool2d(x, 3, 2, 1)
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class RefAudioClassifier(nn.Module):
    def __init__(self, width, classes, fusion):
        super().__init__()
        self.audio_net = RefAbriResNet18(1, width, fusion)
        self.fc = nn.Linear(int(512 * width), classes)

    def forward(self, a):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.audio_net(a), 1), 1))


def perturb(model, g):
    """BN parameters, statistics and mixing weights away from their initial values (so a fresh twin
    or alpha 0.5 would show)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
                m.num_batches_tracked.fill_(7)
        for name, p in model.named_parameters():
            if "fusion_weight" in name:
                p.copy_(torch.rand(p.shape, generator=g) * 0.6 + 0.2)


def make_abri(out):
    d = os.path.join(out, "abri")
    os.makedirs(d, exist_ok=True)
    torch.manual_seed(16)
    g = torch.Generator().manual_seed(16)
    clf = RefAudioClassifier(0.125, 10, "batch")
    perturb(clf, g)
    clf.eval()
    enc = RefAbriResNet18(1, 0.125, "channel")
    perturb(enc, g)
    enc.eval()
    keys = list(clf.state_dict().keys())
    assert "audio_net.layer2.0.downsample.conv.weight" in keys and "audio_net.layer2.0.downsample.bn.running_var" in keys
    assert "audio_net.layer1.0.fusion_weight1" in keys and "audio_net.bn1_addition.weight" in keys
    torch.save(clf.state_dict(), os.path.join(d, "ref_audio_batch.pth"))
    torch.save(enc.state_dict(), os.path.join(d, "ref_encoder_channel.pth"))
    x = torch.randn(2, 1, 96, 32, generator=g)
    with torch.no_grad():
        io = {"input": x, "features_batch": clf.audio_net(x), "logits_batch": clf(x), "features_channel": enc(x)}
    torch.save(io, os.path.join(d, "io.pth"))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    make_masks(out)
    make_frames(out)
    make_audio(out)
    make_abri(out)
    print("fidelity fixtures in", out)


if __name__ == "__main__":
    main()
