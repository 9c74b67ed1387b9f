#!/usr/bin/env python3
"""PyTorch reference for `avtune bench pipeline`: the training sample as the reference code loads a
Kinetics-Sounds clip (torchaudio.load, kaldi fbank with the paper's options, pad/cut to 1024 frames,
normalise; 3 frames by PIL, RandomResizedCrop + RandomHorizontalFlip + ToTensor + Normalize from
torchvision), on one thread in this process. samples/s: the best of `repeats` passes of `samples`
samples, after one untimed pass, per second of this thread's CPU time (as avtune measures it) and of
wall time. Prints one JSON line."""
import argparse, json, os, random, time

import PIL
import torch
import torch.nn.functional as F
import torchaudio
import torchvision
import torchvision.transforms as T
from PIL import Image

KS_MEAN, KS_STD = -4.503877, 5.141276


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    for k, v in dict(samples=64, repeats=3, frames=3, image_size=224, audio_frames=1024, seed=0).items():
        p.add_argument("--" + k.replace("_", "-"), type=int, default=v)
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    items = []
    with open(os.path.join(a.root, "train_1fps_path.txt")) as f:
        for line in f:
            tok = line.split()
            if tok:
                items.append(os.path.basename(tok[0]))
    tf = T.Compose([T.RandomResizedCrop(a.image_size), T.RandomHorizontalFlip(), T.ToTensor(),
                    T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])

    def sample(i):
        name = items[i % len(items)]
        wav, sr = torchaudio.load(os.path.join(a.root, "audio", "train", name + ".wav"))
        wav = wav - wav.mean()
        fb = torchaudio.compliance.kaldi.fbank(wav, htk_compat=True, sample_frequency=sr, use_energy=False,
                                               window_type="hanning", num_mel_bins=128, dither=0.0, frame_shift=10)
        n = fb.shape[0]
        fb = F.pad(fb, (0, 0, 0, a.audio_frames - n)) if n < a.audio_frames else fb[:a.audio_frames]
        fb = ((fb - KS_MEAN) / (KS_STD * 2)).unsqueeze(0)
        d = os.path.join(a.root, "visual", "train", name)
        files = sorted(os.listdir(d))
        seg = len(files) / a.frames
        picks = [files[min(len(files) - 1, int(seg * k + random.random() * seg))] for k in range(a.frames)]
        imgs = [tf(Image.open(os.path.join(d, p)).convert("RGB")) for p in picks]
        return fb, torch.stack(imgs, 1)

    with torch.no_grad():
        for i in range(min(a.samples, len(items))):
            sample(i)
        best, best_wall = float("inf"), float("inf")
        for r in range(a.repeats):
            t0, w0 = time.thread_time(), time.perf_counter()
            for i in range(a.samples):
                sample(i)
            best = min(best, time.thread_time() - t0)
            best_wall = min(best_wall, time.perf_counter() - w0)
    print(json.dumps({"samples_per_second": a.samples / best, "wall_samples_per_second": a.samples / best_wall,
                      "torch": torch.__version__,
                      "torchaudio": torchaudio.__version__, "torchvision": torchvision.__version__,
                      "pillow": PIL.__version__}))


if __name__ == "__main__":
    main()
