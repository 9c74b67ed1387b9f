// avtune features FILE --out X.npy: torchaudio.compliance.kaldi.fbank of one audio file, as .npy.
#include <cstdio>
#include <memory>

#include "avtune/audio/audio_file.h"
#include "avtune/audio/fbank.h"
#include "avtune/io/npy.h"
#include "avtune/util/error.h"
#include "cli_common.h"

namespace avtune::cli {

void register_features(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "features", "Kaldi-compatible log-mel fbank of one audio file as .npy (torchaudio.compliance.kaldi.fbank)");
  struct Opts {
    std::string file, out;
    int sample_rate = 0, channel = -1;
    bool subtract_wave_mean = false, keep_float_samples = false;
    FbankOptions fbank;
  };
  auto opt = std::make_shared<Opts>();
  FbankOptions& o = opt->fbank;
  // Boolean options take a value (true/false, as torchaudio's keyword arguments) and show it as such;
  // the bare flag means true (--htk-compat).
  auto add_bool = [cmd](const std::string& name, bool& v, const std::string& help) {
    // A bare option takes its default_str: "true" here; the real default goes in the help text.
    return cmd->add_option(name, v, help + (v ? " (default true)" : " (default false)"))
        ->expected(0, 1)
        ->default_str("true")
        ->option_text("[BOOLEAN]");
  };
  cmd->add_option("FILE", opt->file, "audio file (wav, flac, ogg, ...); samples scaled to [-1, 1] like torchaudio.load")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", opt->out, "output .npy file, float32 [frames, bins]")->required();
  cmd->add_option("--sample-rate", opt->sample_rate, "resample to this rate first (0 = the file's rate)")->capture_default_str();
  cmd->add_option("--channel", opt->channel, "channel to use (0-based); -1 = mean of the channels")->capture_default_str();
  add_bool("--subtract-wave-mean", opt->subtract_wave_mean,
           "subtract the waveform's mean before the fbank, as the paper's loader does");
  add_bool("--keep-float-samples", opt->keep_float_samples,
           "float wav: the stored samples (default: clipped to [-1, 1] as torchaudio 0.13 reads them)");
  // torchaudio's keyword arguments, dashed, with its defaults (sample_frequency comes from the file).
  cmd->add_option("--num-mel-bins", o.num_mel_bins, "triangular mel bins")->capture_default_str();
  cmd->add_option("--frame-length", o.frame_length, "frame length in ms")->capture_default_str();
  cmd->add_option("--frame-shift", o.frame_shift, "frame shift in ms")->capture_default_str();
  cmd->add_option("--window-type", o.window_type, "hamming|hanning|povey|rectangular|blackman")->capture_default_str();
  cmd->add_option("--blackman-coeff", o.blackman_coeff, "constant of the generalised Blackman window")->capture_default_str();
  add_bool("--htk-compat", o.htk_compat, "with --use-energy, put the energy last");
  add_bool("--use-energy", o.use_energy, "add a log-energy column");
  add_bool("--raw-energy", o.raw_energy, "energy before pre-emphasis and windowing");
  cmd->add_option("--energy-floor", o.energy_floor, "floor on the energy (absolute); 0 = none")->capture_default_str();
  cmd->add_option("--dither", o.dither, "Gaussian dither amplitude (> 0 makes the output random)")->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--low-freq", o.low_freq, "low cut-off of the mel bins, Hz")->capture_default_str();
  cmd->add_option("--high-freq", o.high_freq, "high cut-off, Hz (<= 0: offset from Nyquist)")->capture_default_str();
  cmd->add_option("--preemphasis-coefficient", o.preemphasis_coefficient, "pre-emphasis in [0, 1]")->capture_default_str();
  add_bool("--remove-dc-offset", o.remove_dc_offset, "subtract each frame's mean");
  add_bool("--round-to-power-of-two", o.round_to_power_of_two, "zero-pad frames to a power of two");
  add_bool("--snip-edges", o.snip_edges, "only frames that fit (false: reflect at the edges)");
  add_bool("--subtract-mean", o.subtract_mean, "subtract each output column's mean");
  add_bool("--use-log-fbank", o.use_log_fbank, "log of the mel energies");
  add_bool("--use-power", o.use_power, "power spectrum (false: magnitude)");
  cmd->add_option("--min-duration", o.min_duration, "shorter signals give no frames, s")->capture_default_str();
  cmd->callback([opt, &g] {
    apply_runtime(g);
    const Opts& p = *opt;
    AudioReadOptions ro;
    ro.keep_float_samples = p.keep_float_samples;
    const AudioClip clip = read_audio(p.file, ro);
    auto wave = to_mono(clip, p.channel);
    int rate = clip.sample_rate;
    if (p.sample_rate > 0 && p.sample_rate != rate) {
      wave = resample(wave, rate, p.sample_rate);
      rate = p.sample_rate;
    }
    if (p.subtract_wave_mean) wave = wave - wave.mean();
    FbankOptions opts = p.fbank;
    opts.sample_frequency = rate;
    torch::Tensor fb;
    try {
      fb = kaldi_fbank(wave, opts);
    } catch (const Error& e) {
      throw Error(std::string(e.what()) + " (" + p.file + ")");
    }
    write_npy(p.out, fb);
    std::printf("features [%lld, %lld] float32 at %d Hz -> %s\n", static_cast<long long>(fb.size(0)),
                static_cast<long long>(fb.size(1)), rate, p.out.c_str());
  });
}

}  // namespace avtune::cli
