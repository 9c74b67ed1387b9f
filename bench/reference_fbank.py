#!/usr/bin/env python3
"""PyTorch reference for `avtune bench fbank`: torchaudio.compliance.kaldi.fbank with the paper's
options on the clips avtune wrote (16 kHz mono; 44.1 kHz stereo, channel mean, fbank at 44.1 kHz;
22.05 kHz resampled to 16 kHz by torchaudio.functional.resample, then the fbank). The clips are
loaded before timing. ms per clip: the best of `repeats` passes over every clip, after one untimed
pass; CPU time of this thread on one thread (as avtune measures it), wall time on several. Prints
one JSON line."""
import argparse, json, os, time

import torch
import torchaudio
from torchaudio.compliance import kaldi


def paper_fbank(wave, rate):
    return kaldi.fbank(wave, htk_compat=True, sample_frequency=rate, use_energy=False, window_type="hanning",
                       num_mel_bins=128, dither=0.0, frame_shift=10)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--clips", type=int, default=8)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    load = lambda kind, i: torchaudio.load(os.path.join(a.dir, "%s_%d.wav" % (kind, i)))[0]
    s16 = [load("speech16k", i) for i in range(a.clips)]
    s44 = [load("stereo44k", i) for i in range(a.clips)]
    s22 = [load("speech22k", i) for i in range(a.clips)]
    runs = {
        "16k": lambda i: paper_fbank(s16[i], 16000),
        "44k_stereo": lambda i: paper_fbank(s44[i].mean(0, keepdim=True), 44100),
        "22k_to_16k": lambda i: paper_fbank(torchaudio.functional.resample(s22[i], 22050, 16000), 16000),
    }
    clock = time.thread_time if a.threads == 1 else time.perf_counter
    rows = {}
    with torch.no_grad():
        for name, run in runs.items():
            best = float("inf")
            for r in range(a.repeats + 1):
                t0 = clock()
                for i in range(a.clips):
                    run(i)
                ms = (clock() - t0) * 1e3 / a.clips
                if r > 0:
                    best = min(best, ms)
            rows[name] = best
    print(json.dumps({"torch": torch.__version__, "torchaudio": torchaudio.__version__, "ms_per_clip": rows}))


if __name__ == "__main__":
    main()
