#!/usr/bin/python3
"""Writes the fuzz targets' seed corpora (fuzz/corpus/<target>/): small valid files of each format,
made here (Debian python3-torch, NumPy, PIL, and the ffmpeg CLI for FLAC and videos).
Usage: make_seeds.py [OUT_DIR]   (default: corpus/ beside this script)"""
import collections
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import wave
import zipfile

import numpy as np
import torch
from PIL import Image

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def torch_bytes(obj, legacy=False):
    b = io.BytesIO()
    torch.save(obj, b, _use_new_zipfile_serialization=not legacy)
    return b.getvalue()


def pth_and_pickle():
    torch.manual_seed(0)
    sd = collections.OrderedDict([("conv.weight", torch.randn(2, 1, 2, 2)), ("bn.running_mean", torch.zeros(2)),
                                  ("bn.num_batches_tracked", torch.tensor(3))])
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("bn", {"version": 2})])
    base = torch.arange(6, dtype=torch.float32)
    shared = {"a": base[:3], "b": base.view(2, 3).t(), "half": torch.ones(2, dtype=torch.float16),
              "bf": torch.ones(2, dtype=torch.bfloat16), "d": torch.ones(1, dtype=torch.float64)}
    nested = {"model": {"module.fc.weight": torch.ones(2, 2)}, "epoch": 3, "best": 0.5, "args": [1, "x", None, True]}
    for name, obj in [("state_dict", sd), ("views", shared), ("nested", nested)]:
        z = torch_bytes(obj)
        put("pth", name + ".pth", z)
        put("pth", name + "-legacy.pth", torch_bytes(obj, legacy=True))
        with zipfile.ZipFile(io.BytesIO(z)) as zf:
            pkl = next(n for n in zf.namelist() if n.endswith("data.pkl"))
            put("pickle", name + ".pkl", zf.read(pkl))


def safetensors():
    def st(entries, meta=None):
        header, blob = {}, b""
        for name, dtype, shape, raw in entries:
            header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(blob), len(blob) + len(raw)]}
            blob += raw
        if meta:
            header["__metadata__"] = meta
        h = json.dumps(header).encode()
        h += b" " * (-len(h) % 8)
        return struct.pack("<Q", len(h)) + h + blob
    f32 = np.arange(6, dtype=np.float32).tobytes()
    put("safetensors", "f32.safetensors", st([("w", "F32", [2, 3], f32)], {"format": "pt"}))
    put("safetensors", "mixed.safetensors", st([("a", "F16", [2], np.ones(2, np.float16).tobytes()),
                                               ("b", "I64", [1], np.array([7], np.int64).tobytes()),
                                               ("c", "BF16", [2], b"\x80\x3f\x00\x40"),
                                               ("s", "F64", [], np.array([1.5]).tobytes())]))


def npy():
    for name, a in [("f32", np.arange(6, dtype=np.float32).reshape(2, 3)), ("i64", np.arange(4, dtype=np.int64)),
                    ("f64-fortran", np.asfortranarray(np.ones((2, 2)))), ("u8", np.zeros((1, 2, 2), np.uint8)),
                    ("scalar", np.array(2.5, np.float32))]:
        b = io.BytesIO()
        np.save(b, a)
        put("npy", name + ".npy", b.getvalue())


def clip_lists():
    put("clip_list", "ks.txt", b"\x00" + b"data/dog/clip_a.mp4 0\ndata/cat/clip b.mp4 1\n")
    put("clip_list", "csv.csv", b"\x01" + b"clip_a,dog\nclip_b,cat\n")
    put("clip_list", "csv-header.csv", b"\x02" + b"name,label\nclip_a,dog\nclip_c,rain\n")
    put("clip_list", "esc50.csv", b"\x03" + b"filename,fold,target,category,esc10,src_file,take\n"
        b"1-100-A-0.wav,1,0,dog,True,100,A\n2-101-A-1.wav,2,1,rooster,False,101,A\n")
    put("clip_list", "classes.txt", b"\x04" + b"\xef\xbb\xbfdog\ncat\n\nrain\n")


def config():
    put("config", "engine.json", json.dumps({"epochs": 2, "batch_size": 4, "optimizer": "adam", "lr": 0.001,
                                             "schedule": "multistep", "milestones": [1], "seed": 3}).encode())
    put("config", "sections.json", json.dumps({"model": {"modality": "audio", "depth": 18, "width": 0.25},
                                               "data": {"root": "d", "format": "csv", "audio_frames": 64}}).encode())


def audio():
    t = np.arange(800) / 16000.0
    tone = (0.5 * np.sin(2 * np.pi * 440 * t))
    b = io.BytesIO()
    with wave.open(b, "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
        w.writeframes((tone * 32767).astype("<i2").tobytes())
    put("audio", "pcm16.wav", b.getvalue())
    b = io.BytesIO()
    with wave.open(b, "wb") as w:
        w.setnchannels(2); w.setsampwidth(1); w.setframerate(8000)
        w.writeframes(np.repeat((tone[:400] * 127 + 128).astype(np.uint8), 2).tobytes())
    put("audio", "u8-stereo.wav", b.getvalue())
    # IEEE float WAV (format tag 3), written by hand.
    data = tone.astype("<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, 22050, 22050 * 4, 4, 32)
    put("audio", "float.wav", b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE" +
        b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data)
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        "sine=frequency=300:sample_rate=16000:duration=0.05", os.path.join(d, "a.flac")], check=True)
        put("audio", "tone.flac", open(os.path.join(d, "a.flac"), "rb").read())


def images():
    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 255, (12, 10, 3), dtype=np.uint8))
    for name, im, kw in [("rgb.jpg", rgb, {"quality": 80}), ("progressive.jpg", rgb, {"progressive": True}),
                         ("gray.jpg", rgb.convert("L"), {}), ("rgb.png", rgb, {}), ("palette.png", rgb.convert("P"), {}),
                         ("rgba.png", rgb.convert("RGBA"), {}), ("gray16.png", Image.fromarray(np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000), {})]:
        b = io.BytesIO()
        im.save(b, format="JPEG" if name.endswith(".jpg") else "PNG", **kw)
        put("image", name, b.getvalue())


def videos():
    with tempfile.TemporaryDirectory() as d:
        for name, args in [("av.mp4", ["-f", "lavfi", "-i", "sine=duration=1.2", "-c:v", "mpeg4", "-q:v", "20", "-shortest"]),
                           ("av.mkv", ["-f", "lavfi", "-i", "sine=duration=1.2", "-c:v", "mjpeg", "-q:v", "20", "-c:a", "flac", "-shortest"]),
                           ("mute.mp4", ["-c:v", "mpeg4", "-q:v", "20"])]:
            p = os.path.join(d, name)
            subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                            "testsrc=size=32x24:rate=4:duration=1.2"] + args + [p], check=True)
            put("video", name, open(p, "rb").read())


if __name__ == "__main__":
    for make in (pth_and_pickle, safetensors, npy, clip_lists, config, audio, images, videos):
        make()
    print("seeds written to", OUT)
