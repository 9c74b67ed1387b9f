#!/usr/bin/env python3
"""PyTorch reference for `avtune bench train`: the reference code's data pipeline (torchaudio wav +
kaldi fbank, PIL frames + torchvision RandomResizedCrop/flip/normalise, a DataLoader with worker
processes) feeding the same audio-visual model (torchvision ResNet encoders, concat head) as
reference_av_step.py, from the same files. Times `steps` batches after `warmup`, wall clock,
loading included. Prints one JSON line."""
import argparse, contextlib, json, os, random, time

import torch
import torch.nn.functional as F
import torchaudio
import torchvision.transforms as T
from PIL import Image

from reference_av_step import AV

KS_MEAN, KS_STD = -4.503877, 5.141276


class Clips(torch.utils.data.Dataset):
    def __init__(self, root, frames, image_size, audio_frames, mel_bins):
        self.root, self.frames, self.audio_frames, self.mel_bins = root, frames, audio_frames, mel_bins
        self.items = []
        with open(os.path.join(root, "train_1fps_path.txt")) as f:
            for line in f:
                tok = line.split()
                if tok:
                    self.items.append((os.path.basename(tok[0]), int(tok[-1])))
        self.tf = T.Compose([T.RandomResizedCrop(image_size), T.RandomHorizontalFlip(), T.ToTensor(),
                             T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        name, label = self.items[i]
        wav, sr = torchaudio.load(os.path.join(self.root, "audio", "train", name + ".wav"))
        wav = wav - wav.mean()
        fb = torchaudio.compliance.kaldi.fbank(wav, htk_compat=True, sample_frequency=sr, use_energy=False,
                                               window_type="hanning", num_mel_bins=self.mel_bins, dither=0.0,
                                               frame_shift=10)
        n = fb.shape[0]
        fb = F.pad(fb, (0, 0, 0, self.audio_frames - n)) if n < self.audio_frames else fb[:self.audio_frames]
        fb = ((fb - KS_MEAN) / (KS_STD * 2)).unsqueeze(0)
        d = os.path.join(self.root, "visual", "train", name)
        files = sorted(os.listdir(d))
        seg = len(files) / self.frames
        picks = [files[min(len(files) - 1, int(seg * k + random.random() * seg))] for k in range(self.frames)]
        imgs = [self.tf(Image.open(os.path.join(d, p)).convert("RGB")) for p in picks]
        return fb, torch.stack(imgs, 1), label  # visual (3, T, H, W)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    for k, v in dict(depth=18, batch=4, audio_frames=1024, mel_bins=128, clip_frames=3, image_size=224,
                     workers=2, warmup=2, steps=10, threads=0, seed=0).items():
        p.add_argument("--" + k.replace("_", "-"), type=int, default=v)
    p.add_argument("--width", type=float, default=1.0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "fp16"])
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    ds = Clips(a.root, a.clip_frames, a.image_size, a.audio_frames, a.mel_bins)
    classes = max(l for _, l in ds.items) + 1
    model = AV(a.depth, a.width, classes).train().to(a.device)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    cuda = a.device.startswith("cuda")
    loader = torch.utils.data.DataLoader(ds, batch_size=a.batch, shuffle=True, num_workers=a.workers, pin_memory=cuda)
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(a.precision)
    scaler = torch.cuda.amp.GradScaler(enabled=a.precision == "fp16")
    it = iter(loader)
    t0 = None
    for s in range(a.warmup + a.steps):
        if s == a.warmup:
            t0 = time.perf_counter()
        audio, visual, labels = (t.to(a.device, non_blocking=cuda) for t in next(it))
        opt.zero_grad()
        with torch.autocast(torch.device(a.device).type, dtype=dtype) if dtype else contextlib.nullcontext():
            loss = F.cross_entropy(model(audio, visual).float(), labels)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        loss.item()
    total = time.perf_counter() - t0
    print(json.dumps({"seconds_per_step": total / a.steps, "samples_per_second": a.batch * a.steps / total,
                      "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
