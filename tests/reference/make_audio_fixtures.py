#!/usr/bin/env python3
"""Makes the audio fixtures avtune's tests compare against, with Debian's python3-torch/torchaudio as
the reference. Usage: make_audio_fixtures.py OUTDIR. Deterministic (seeded).

Writes test signals (16-bit PCM wav unless noted; a sentence spoken by libespeak-ng, a chirp, white
noise, near-silence, a stereo file, a 44.1 kHz tone, flac/ogg copies of the speech made by ffmpeg),
then reference.pth with torchaudio's view of them:
  wave.<signal>     torchaudio.load(<signal>.wav)[0], (channels, n) float32
  fbank.<case>      torchaudio.compliance.kaldi.fbank for each entry of cases.json
  window.<type>     Kaldi window functions (400 samples)
  melbank.<name>    get_mel_banks for a few settings (see melbanks.json)
  pipeline.speech   the paper's loader (mean removal, fbank, pad to 1024, normalise)
  specaug.*         FrequencyMasking(15) then TimeMasking(64) after torch.manual_seed(seed)
npy_*.npy are NumPy-written files for avtune's .npy reader.
cases.json lists each fbank case: signal, channel mixing, waveform mean removal and the options."""
import ctypes
import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import torch
import torchaudio
from torchaudio.compliance import kaldi

SENTENCE = ("The quick brown fox jumps over the lazy dog, and audio visual learning starts "
            "from pre-trained models.")


def espeak_speech(text):
    """A real spoken sentence from libespeak-ng (the espeak-ng library: setup.sh installs
    libespeak-ng-dev, not the espeak-ng program), int16 at its native 22050 Hz."""
    lib = ctypes.CDLL("libespeak-ng.so.1")
    rate = lib.espeak_Initialize(2, 0, None, 0)  # AUDIO_OUTPUT_SYNCHRONOUS
    if rate <= 0:
        raise RuntimeError("espeak_Initialize failed (is espeak-ng-data installed?)")
    chunks = []
    callback_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

    def on_audio(wav, n, events):
        if n > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        return 0

    callback = callback_type(on_audio)
    lib.espeak_SetSynthCallback(callback)
    if lib.espeak_SetVoiceByName(b"en") != 0:
        raise RuntimeError("espeak-ng has no 'en' voice")
    data = text.encode()
    if lib.espeak_Synth(data, len(data) + 1, 0, 1, 0, 0, None, None) != 0:  # POS_CHARACTER, espeakCHARS_AUTO
        raise RuntimeError("espeak_Synth failed")
    lib.espeak_Synchronize()
    if not chunks:
        raise RuntimeError("espeak-ng produced no audio")
    return torch.from_numpy(np.concatenate(chunks)).to(torch.float32).unsqueeze(0) / 32768.0, rate


def save16(path, wave, rate):
    torchaudio.save(path, wave.clamp(-1.0, 32767 / 32768), rate, encoding="PCM_S", bits_per_sample=16)


def make_signals(out):
    g = torch.Generator().manual_seed(2023)
    speech22, rate22 = espeak_speech(SENTENCE)
    save16(os.path.join(out, "speech_22k.wav"), speech22, rate22)
    speech16 = torchaudio.functional.resample(speech22, rate22, 16000)
    save16(os.path.join(out, "speech.wav"), speech16, 16000)

    t = torch.arange(32000, dtype=torch.float64) / 16000.0  # 2 s linear chirp 50 Hz -> 7.5 kHz
    f0, f1, dur = 50.0, 7500.0, 2.0
    chirp = 0.5 * torch.sin(2 * math.pi * (f0 * t + (f1 - f0) / (2 * dur) * t * t))
    save16(os.path.join(out, "chirp.wav"), chirp.float().unsqueeze(0), 16000)

    noise = (torch.rand(1, 24000, generator=g) * 2 - 1) * 0.3
    save16(os.path.join(out, "noise.wav"), noise, 16000)

    # Near-silence: a few LSBs, so every frame's energy is far below energy_floor = 1.0 and many
    # mel energies reach the log-epsilon floor.
    silence = torch.round(torch.randn(1, 16000, generator=g) * 0.7) / 32768.0
    save16(os.path.join(out, "silence.wav"), silence, 16000)

    t = torch.arange(19200, dtype=torch.float64) / 16000.0
    left = 0.4 * torch.sin(2 * math.pi * 440.0 * t)
    right = 0.2 * torch.sin(2 * math.pi * 1500.0 * t) + 0.05 * torch.randn(19200, generator=g, dtype=torch.float64)
    save16(os.path.join(out, "stereo.wav"), torch.stack([left, right]).float(), 16000)

    t = torch.arange(44100, dtype=torch.float64) / 44100.0
    save16(os.path.join(out, "tone44k.wav"), (0.5 * torch.sin(2 * math.pi * 1000.0 * t)).float().unsqueeze(0), 44100)

    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg not found (scripts/setup.sh installs it)")
    for ext, codec in (("flac", ["-c:a", "flac"]), ("ogg", ["-c:a", "libvorbis", "-q:a", "6"])):
        subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-i", os.path.join(out, "speech.wav")]
                       + codec + [os.path.join(out, f"speech.{ext}")], check=True)
    return ["speech_22k", "speech", "chirp", "noise", "silence", "stereo", "tone44k"]


PAPER = dict(htk_compat=True, window_type="hanning", num_mel_bins=128, dither=0.0, use_energy=False,
             frame_length=25.0, frame_shift=10.0)


def fbank_cases():
    """(name, signal, mix, subtract_wave_mean, options). mix: 'mean' or a channel index."""
    c = []
    for sig in ("speech", "chirp", "noise", "silence"):
        c.append((f"paper_{sig}", sig, 0, True, dict(PAPER)))
        c.append((f"defaults_{sig}", sig, 0, False, {}))
    c.append(("paper_stereo_mean", "stereo", "mean", True, dict(PAPER)))
    c.append(("defaults_stereo_ch1", "stereo", 1, False, {}))
    c.append(("defaults_stereo_ch0", "stereo", 0, False, {}))
    c.append(("paper_tone44k", "tone44k", 0, True, dict(PAPER, sample_frequency=44100.0)))
    c.append(("paper_speech22k", "speech_22k", 0, True, dict(PAPER, sample_frequency=22050.0)))
    for w in ("hamming", "hanning", "povey", "rectangular", "blackman"):
        c.append((f"window_{w}", "speech", 0, False, dict(window_type=w)))
    c.append(("window_blackman_coeff_0.5", "speech", 0, False, dict(window_type="blackman", blackman_coeff=0.5)))
    c.append(("snip_edges_false", "speech", 0, False, dict(snip_edges=False)))
    c.append(("snip_edges_false_paper", "speech", 0, True, dict(PAPER, snip_edges=False)))
    c.append(("snip_edges_false_shift_7ms", "chirp", 0, False, dict(snip_edges=False, frame_shift=7.0)))
    # Noise has no silent edges, so the mirrored samples matter (speech starts and ends silent).
    c.append(("snip_edges_false_noise_rect", "noise", 0, False, dict(snip_edges=False, window_type="rectangular")))
    c.append(("snip_edges_false_long_shift", "noise", 0, False, dict(snip_edges=False, frame_length=20.0, frame_shift=30.0)))
    c.append(("use_energy", "speech", 0, False, dict(use_energy=True)))
    c.append(("use_energy_htk", "speech", 0, False, dict(use_energy=True, htk_compat=True)))
    c.append(("use_energy_silence", "silence", 0, False, dict(use_energy=True)))
    c.append(("use_energy_not_raw", "speech", 0, False, dict(use_energy=True, raw_energy=False)))
    c.append(("use_energy_floor_0", "speech", 0, False, dict(use_energy=True, energy_floor=0.0)))
    c.append(("use_energy_floor_0_silence", "silence", 0, False, dict(use_energy=True, energy_floor=0.0)))
    c.append(("use_energy_floor_0.01", "noise", 0, False, dict(use_energy=True, energy_floor=0.01, htk_compat=True)))
    c.append(("linear_fbank", "speech", 0, False, dict(use_log_fbank=False)))
    c.append(("magnitude", "speech", 0, False, dict(use_power=False)))
    c.append(("linear_magnitude", "chirp", 0, False, dict(use_log_fbank=False, use_power=False)))
    c.append(("low_freq_100_high_6000", "speech", 0, False, dict(low_freq=100.0, high_freq=6000.0)))
    c.append(("high_freq_minus_400", "chirp", 0, False, dict(high_freq=-400.0)))
    c.append(("low_0_high_nyquist", "speech", 0, False, dict(low_freq=0.0, high_freq=8000.0, num_mel_bins=64)))
    for bins in (40, 64, 80, 128):
        c.append((f"bins_{bins}", "speech", 0, False, dict(num_mel_bins=bins)))
    c.append(("frame_50ms_shift_20ms", "speech", 0, False, dict(frame_length=50.0, frame_shift=20.0)))
    c.append(("frame_20ms_shift_5ms", "speech", 0, False, dict(frame_length=20.0, frame_shift=5.0)))
    c.append(("frame_32ms_no_pow2", "speech", 0, False, dict(frame_length=32.0, round_to_power_of_two=False)))
    c.append(("frame_25ms_no_pow2", "chirp", 0, False, dict(round_to_power_of_two=False)))
    c.append(("preemphasis_0", "speech", 0, False, dict(preemphasis_coefficient=0.0)))
    c.append(("preemphasis_1", "noise", 0, False, dict(preemphasis_coefficient=1.0)))
    c.append(("remove_dc_offset_false", "speech", 0, False, dict(remove_dc_offset=False)))
    c.append(("subtract_mean", "speech", 0, False, dict(subtract_mean=True, use_energy=True)))
    c.append(("min_duration_short", "noise", 0, False, dict(min_duration=2.0)))
    c.append(("min_duration_ok", "noise", 0, False, dict(min_duration=1.0)))
    return c


def npy_fixtures(out):
    """NumPy-written .npy files for avtune's reader; values are arange-based so tests rebuild them."""
    a = np.arange(24)
    np.save(os.path.join(out, "npy_f4_2x3x4.npy"), a.reshape(2, 3, 4).astype("<f4"))
    np.save(os.path.join(out, "npy_f8_fortran_2x3x4.npy"), np.asfortranarray(a.reshape(2, 3, 4).astype("<f8")))
    np.save(os.path.join(out, "npy_i8_24.npy"), a.astype("<i8"))
    np.save(os.path.join(out, "npy_u1_scalar.npy"), np.array(7, dtype="u1"))
    np.save(os.path.join(out, "npy_b1_2x3.npy"), (a[:6] % 2 == 0).reshape(2, 3))
    np.save(os.path.join(out, "npy_f2_0x3.npy"), np.zeros((0, 3), dtype="<f2"))
    np.save(os.path.join(out, "npy_big_endian.npy"), a.astype(">f4"))
    np.save(os.path.join(out, "npy_structured.npy"), np.zeros(3, dtype=[("x", "<f4"), ("y", "<i4")]))
    with open(os.path.join(out, "npy_v2_i2_4x6.npy"), "wb") as f:
        np.lib.format.write_array(f, a.reshape(4, 6).astype("<i2"), version=(2, 0))


def mixed(wave, mix):
    return wave.mean(0, keepdim=True) if mix == "mean" else wave[mix:mix + 1]


def paper_pipeline(path, target_frames=1024, mean=-4.503877, std=5.141276):
    wave, sr = torchaudio.load(path)
    wave = wave - wave.mean()
    fb = kaldi.fbank(wave, htk_compat=True, sample_frequency=sr, use_energy=False, window_type="hanning",
                     num_mel_bins=128, dither=0.0, frame_shift=10)
    p = target_frames - fb.shape[0]
    if p > 0:
        fb = torch.nn.ZeroPad2d((0, 0, 0, p))(fb)
    elif p < 0:
        fb = fb[0:target_frames, :]
    return (fb - mean) / (std * 2)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    signals = make_signals(out)
    npy_fixtures(out)
    ref = {}
    waves = {}
    for s in signals:
        w, sr = torchaudio.load(os.path.join(out, f"{s}.wav"))
        waves[s] = w
        ref[f"wave.{s}"] = w

    cases = []
    for name, sig, mix, sub, opts in fbank_cases():
        w = mixed(waves[sig], mix)
        if sub:
            w = w - w.mean()
        fb = kaldi.fbank(w, **opts)
        if fb.dim() == 1:  # torchaudio returns a 1-D empty tensor below min_duration
            fb = fb.reshape(0, opts.get("num_mel_bins", 23) + int(opts.get("use_energy", False)))
        ref[f"fbank.{name}"] = fb.contiguous()
        cases.append(dict(name=name, signal=sig, mix=mix, subtract_wave_mean=sub, options=opts))

    # Dither draws from the global generator: the tests seed theirs alike.
    w = waves["speech"]
    torch.manual_seed(123)
    ref["fbank.dither_seed123"] = kaldi.fbank(w, dither=1e-4)
    cases.append(dict(name="dither_seed123", signal="speech", mix=0, subtract_wave_mean=False,
                      options=dict(dither=1e-4), seed=123))

    # torchaudio refuses a signal shorter than one window (even with snip_edges=False).
    for snip in (True, False):
        try:
            kaldi.fbank(torch.zeros(1, 399), snip_edges=snip)
            raise RuntimeError("torchaudio accepted a signal shorter than one window")
        except AssertionError:
            pass

    for wt in ("hamming", "hanning", "povey", "rectangular", "blackman"):
        ref[f"window.{wt}"] = kaldi._feature_window_function(wt, 400, 0.42, torch.device("cpu"), torch.float32)
    melbanks = [dict(name="default", num_bins=23, padded=512, sample_frequency=16000.0, low_freq=20.0, high_freq=0.0),
                dict(name="paper", num_bins=128, padded=512, sample_frequency=16000.0, low_freq=20.0, high_freq=0.0),
                dict(name="band", num_bins=40, padded=1024, sample_frequency=22050.0, low_freq=300.0, high_freq=-1000.0),
                dict(name="odd", num_bins=80, padded=400, sample_frequency=16000.0, low_freq=0.0, high_freq=8000.0)]
    for m in melbanks:
        banks, _ = kaldi.get_mel_banks(m["num_bins"], m["padded"], m["sample_frequency"], m["low_freq"],
                                       m["high_freq"], 100.0, -500.0, 1.0)
        ref[f"melbank.{m['name']}"] = banks

    ref["pipeline.speech"] = paper_pipeline(os.path.join(out, "speech.wav"))

    x = ref["fbank.paper_speech"]
    ref["specaug.input"] = x
    for seed in range(5):
        torch.manual_seed(seed)
        y = x.t().unsqueeze(0)
        y = torchaudio.transforms.FrequencyMasking(15)(y)
        y = torchaudio.transforms.TimeMasking(64)(y)
        ref[f"specaug.seed{seed}"] = y.squeeze(0).t().contiguous()

    torch.save(ref, os.path.join(out, "reference.pth"))
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(dict(fbank=cases, melbanks=melbanks, signals=signals), f, indent=1)
    with open(os.path.join(out, "VERSIONS"), "w") as f:
        f.write(f"torch {torch.__version__}\ntorchaudio {torchaudio.__version__}\n")
    print(f"{len(cases)} fbank cases and {len(signals)} signals written to", out)


if __name__ == "__main__":
    main()
