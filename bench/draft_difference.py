# What the JPEG draft decode (data.jpeg_draft) changes, on frames of bench/make_pipeline_data.sh:
# the same crop box (drawn on the drafted size, scaled up for the full decode), resized to 224 and
# normalised as training does; PIL's draft is avtune's (docs/vision.md). docs/performance.md.
# usage: /usr/bin/python3 bench/draft_difference.py ROOT
import glob, sys, numpy as np, torch
from PIL import Image
from torchvision import transforms as T
torch.manual_seed(0)
mean = np.array([0.485, 0.456, 0.406], np.float32); std = np.array([0.229, 0.224, 0.225], np.float32)
def norm(im): return (np.asarray(im, np.float32) / 255.0 - mean) / std
files = sorted(glob.glob(sys.argv[1] + "/visual/train/*/frame_*.jpg"))[::7]
d_lv, d_n = [], []
for f in files:
    a = Image.open(f); a.draft("RGB", (224, 224)); a = a.convert("RGB")
    b = Image.open(f).convert("RGB")
    s = b.size[0] // a.size[0]
    for _ in range(4):
        i, j, h, w = T.RandomResizedCrop.get_params(a, (0.08, 1.0), (3 / 4, 4 / 3))
        ca = a.resize((224, 224), Image.BILINEAR, box=(j, i, j + w, i + h))
        cb = b.resize((224, 224), Image.BILINEAR, box=(s * j, s * i, s * (j + w), s * (i + h)))
        d_lv.append(np.abs(np.asarray(ca, np.float32) - np.asarray(cb, np.float32)))
        d_n.append(np.abs(norm(ca) - norm(cb)))
lv = np.concatenate([x.ravel() for x in d_lv]); nn = np.concatenate([x.ravel() for x in d_n])
print("p99 %.0f p99.9 %.0f levels; share > 8 levels %.4f" % (np.percentile(lv, 99), np.percentile(lv, 99.9), (lv > 8).mean()))
print(f"{len(files)} frames x 4 crops, scale {s}: levels mean {lv.mean():.3f} max {lv.max():.0f}; normalised mean {nn.mean():.4f} max {nn.max():.3f}")
