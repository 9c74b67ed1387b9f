#!/usr/bin/env python3
"""Makes the image fixtures avtune's vision tests compare against, with Debian's python3-pil and
python3-torchvision as the reference (the reference loads frames with PIL and applies torchvision
transforms to PIL images). Usage: make_vision_fixtures.py OUTDIR. Deterministic (seeded).

Writes test images in several formats, PIL's decode of each (decode.pth) and torchvision's transform
results (transforms.pth), all as torch.save dicts of tensors."""
import io
import os
import struct
import sys
import zlib

import numpy as np
import torch
import torchvision
import torchvision.transforms as T
import torchvision.transforms.functional as F
from PIL import Image

H, W = 97, 131  # odd sizes on purpose: rounding of centres and offsets shows there


def natural(h, w, seed):
    """Gradients, smooth waves, hard-edged shapes and sensor-like noise: content where JPEG ringing
    and resampling errors both show, unlike flat or purely random images."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 100 * np.sin(x / 17.0 + y / 29.0)
    g = 255 * x / (w - 1)
    b = 150 * y / (h - 1) + 60 * np.cos(np.hypot(x - w * 0.4, y - h * 0.6) / 6.0)
    img = np.stack([r, g, b], -1)
    img[(x - w * 0.7) ** 2 + (y - h * 0.3) ** 2 < (min(h, w) * 0.18) ** 2] = [230, 40, 50]
    img[int(h * 0.6):int(h * 0.8), int(w * 0.1):int(w * 0.35)] = [20, 20, 200]
    img += rng.normal(0, 12, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def png_bytes(samples, color_type, depth, interlace=False):
    """A minimal PNG writer for what PIL cannot write: 16-bit RGB and Adam7-interlaced images.
    `samples` is (h, w) or (h, w, c) of integers; filter type 0 on every row."""
    h, w = samples.shape[:2]
    dtype = ">u2" if depth == 16 else "u1"

    def scanlines(a):
        return b"".join(b"\x00" + a[y].astype(dtype).tobytes() for y in range(a.shape[0]))

    if interlace:  # the seven Adam7 passes: (x0, y0, dx, dy); empty passes contribute nothing
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        raw = b"".join(scanlines(samples[y0::dy, x0::dx]) for x0, y0, dx, dy in passes
                       if samples[y0::dy, x0::dx].size)
    else:
        raw = scanlines(samples)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def chw(pil_rgb):
    return torch.from_numpy(np.array(pil_rgb, dtype=np.uint8)).permute(2, 0, 1).contiguous()


def write_images(out):
    """Returns {file name: expected uint8 (3, H, W) decode}."""
    rgb = natural(H, W, seed=1)
    im = Image.fromarray(rgb, "RGB")
    rng = np.random.default_rng(2)
    pil_files = {
        "rgb.jpg": (im, dict(quality=90)),                       # 4:2:0, PIL's default at this quality
        "rgb444.jpg": (im, dict(quality=95, subsampling=0)),
        "rgb_progressive.jpg": (im, dict(quality=85, progressive=True)),
        "gray.jpg": (im.convert("L"), dict(quality=90)),
        "rgb.png": (im, {}),
        "rgba.png": (Image.fromarray(np.dstack([rgb, rng.integers(0, 256, (H, W), dtype=np.uint8)]), "RGBA"), {}),
        "gray_alpha.png": (im.convert("LA"), {}),
        "palette.png": (im.quantize(64), dict(transparency=3)),  # with a tRNS chunk, to be dropped
        "bilevel.png": (im.convert("1"), {}),                    # 1-bit gray: 0 and 255
    }
    for name, (img, kw) in pil_files.items():
        img.save(os.path.join(out, name), **kw)
    # 16-bit: high byte carries the image, the low byte noise that must be discarded.
    rgb16 = rgb.astype(np.uint16) * 256 + rng.integers(0, 256, rgb.shape).astype(np.uint16)
    with open(os.path.join(out, "rgb16.png"), "wb") as f:
        f.write(png_bytes(rgb16, color_type=2, depth=16))
    with open(os.path.join(out, "rgb_interlaced.png"), "wb") as f:
        f.write(png_bytes(rgb, color_type=2, depth=8, interlace=True))
    gray16 = rgb16[:, :, 1]
    with open(os.path.join(out, "gray16.png"), "wb") as f:
        f.write(png_bytes(gray16, color_type=0, depth=16))

    expected = {}
    for name in list(pil_files) + ["rgb16.png", "rgb_interlaced.png"]:
        with Image.open(os.path.join(out, name)) as img:
            expected[name] = chw(img.convert("RGB"))
    # PIL opens 16-bit gray as mode "I" and convert("RGB") clips it at 255 (an almost white image);
    # avtune keeps the high byte as for every other 16-bit PNG: expected here is that, not PIL.
    expected["gray16.png"] = torch.from_numpy((gray16 >> 8).astype(np.uint8)).expand(3, H, W).contiguous()
    assert torch.equal(expected["rgb16.png"], chw(im)), "PIL no longer keeps the high byte of 16-bit RGB"
    return expected


def transform_fixtures(out):
    res = {}
    src = Image.open(os.path.join(out, "rgb.png")).convert("RGB")
    res["source"] = chw(src)

    # Resize((h, w)): up, down, one axis only, mixed, extreme.
    resize_sizes = [(224, 224), (48, 64), (97, 60), (150, 131), (33, 200), (7, 5), (300, 17), (96, 130)]
    res["resize_sizes"] = torch.tensor(resize_sizes, dtype=torch.int64)
    for k, (h, w) in enumerate(resize_sizes):
        res[f"resize_{k}"] = chw(T.Resize((h, w))(src))
    # Resize(int): the shorter side.
    shorter = [64, 256, 97]
    res["shorter_sizes"] = torch.tensor(shorter, dtype=torch.int64)
    for k, s in enumerate(shorter):
        res[f"shorter_{k}"] = chw(T.Resize(s)(src))
    # PIL's float ("F") resize, channel by channel, for the floating-point path.
    float_sizes = [(48, 64), (224, 224)]
    res["float_resize_sizes"] = torch.tensor(float_sizes, dtype=torch.int64)
    src_f = np.array(src, dtype=np.float32) / 255.0
    res["float_source"] = torch.from_numpy(src_f).permute(2, 0, 1).contiguous()
    for k, (h, w) in enumerate(float_sizes):
        chans = [np.array(Image.fromarray(src_f[:, :, c], "F").resize((w, h), Image.BILINEAR)) for c in range(3)]
        res[f"float_resize_{k}"] = torch.from_numpy(np.stack(chans, 0))

    # CenterCrop: even and odd margins (round half to even), and crops larger than the image (padding).
    crops = [(64, 64), (50, 51), (96, 130), (95, 129), (120, 140), (97, 200), (10, 131)]
    res["center_crop_sizes"] = torch.tensor(crops, dtype=torch.int64)
    for k, (h, w) in enumerate(crops):
        res[f"center_crop_{k}"] = chw(T.CenterCrop((h, w))(src))

    # resized_crop with fixed params: (top, left, height, width, out_h, out_w).
    rc = [(10, 20, 50, 70, 224, 224), (0, 0, H, W, 224, 224), (5, 3, 80, 40, 32, 32), (40, 100, 57, 31, 64, 48)]
    res["resized_crop_params"] = torch.tensor(rc, dtype=torch.int64)
    for k, (t, l, h, w, oh, ow) in enumerate(rc):
        res[f"resized_crop_{k}"] = chw(F.resized_crop(src, t, l, h, w, [oh, ow]))

    # PIL's own JPEG encode + decode at quality 90: write_jpeg uses the same libjpeg defaults.
    buf = io.BytesIO()
    src.save(buf, "JPEG", quality=90)
    buf.seek(0)
    res["pil_jpeg_q90"] = chw(Image.open(buf).convert("RGB"))

    res["hflip"] = chw(F.hflip(src))
    res["to_tensor"] = T.ToTensor()(src)
    res["normalized"] = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])(T.ToTensor()(src))

    # The reference's two pipelines, on a frame-like image (both up- and downscaled to 224).
    frame = Image.fromarray(natural(180, 240, seed=3), "RGB")
    frame.save(os.path.join(out, "frame.png"))
    res["frame"] = chw(frame)
    norm = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    res["eval_224"] = T.Compose([T.Resize((224, 224)), T.ToTensor(), norm])(frame)
    res["eval_112x160"] = T.Compose([T.Resize((112, 160)), T.ToTensor(), norm])(frame)
    train = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(), norm])
    seeds = list(range(8))
    res["train_seeds"] = torch.tensor(seeds, dtype=torch.int64)
    params, flips = [], []
    for k, s in enumerate(seeds):
        torch.manual_seed(s)
        res[f"train_{k}"] = train(frame)
        # The same draws, spelled out: crop params first, then the flip.
        torch.manual_seed(s)
        params.append(T.RandomResizedCrop.get_params(frame, [0.08, 1.0], [3.0 / 4.0, 4.0 / 3.0]))
        flips.append(bool(torch.rand(1) < 0.5))
    res["train_params"] = torch.tensor(params, dtype=torch.int64)
    res["train_flips"] = torch.tensor(flips, dtype=torch.bool)
    return res


def sampling_fixtures():
    """RandomResizedCrop.get_params for many seeds, on image sizes where attempts mostly succeed, often
    fail (very thin images) and always fail (scale above 1): (seed count, 4) per case."""
    res = {}
    cases = [("97x131", 97, 131, (0.08, 1.0)), ("224x224", 224, 224, (0.08, 1.0)), ("5x300", 5, 300, (0.08, 1.0)),
             ("400x3", 400, 3, (0.08, 1.0)), ("1x1", 1, 1, (0.08, 1.0)), ("fallback_97x131", 97, 131, (1.5, 2.0)),
             ("fallback_20x200", 20, 200, (1.5, 2.0)), ("fallback_200x20", 200, 20, (1.5, 2.0))]
    for name, h, w, scale in cases:
        img = torch.zeros(3, h, w, dtype=torch.uint8)
        rows = []
        for s in range(200):
            torch.manual_seed(s)
            rows.append(T.RandomResizedCrop.get_params(img, list(scale), [3.0 / 4.0, 4.0 / 3.0]))
        res[f"params_{name}"] = torch.tensor(rows, dtype=torch.int64)
        res[f"shape_{name}"] = torch.tensor([h, w], dtype=torch.int64)
        res[f"scale_{name}"] = torch.tensor(scale, dtype=torch.float64)
    return res


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    torch.save(write_images(out), os.path.join(out, "decode.pth"))
    torch.save(transform_fixtures(out), os.path.join(out, "transforms.pth"))
    torch.save(sampling_fixtures(), os.path.join(out, "crop_sampling.pth"))
    with open(os.path.join(out, "VERSIONS"), "w") as f:
        f.write(f"torch {torch.__version__}\ntorchvision {torchvision.__version__}\n"
                f"PIL {Image.__version__}\n")
    print("vision fixtures written to", out)


if __name__ == "__main__":
    main()
