#include "avtune/data/embedded_data.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "avtune/audio/audio_file.h"
#include "avtune/audio/speech_synth.h"
#include "avtune/data/clip_list.h"
#include "avtune/data/fashion_mnist.h"
#include "avtune/util/atomic_file.h"
#include "avtune/util/error.h"
#include "avtune/util/progress.h"
#include "avtune/vision/image_io.h"
#include "avtune/vision/image_transforms.h"

namespace avtune {

namespace fs = std::filesystem;

namespace {

constexpr int kRate = 16000;

// FNV-1a: a fixed string hash (std::hash may differ between standard libraries).
uint64_t tag(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t x = a * 0x9e3779b97f4a7c15ULL + b + 0x632be59bd9b4e5ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Portable draws (std:: distributions differ between standard libraries; byte-identical output
// across machines needs our own).
double uniform01(std::mt19937_64& r) { return static_cast<double>(r() >> 11) * (1.0 / 9007199254740992.0); }
double uniform(std::mt19937_64& r, double a, double b) { return a + (b - a) * uniform01(r); }
int64_t below(std::mt19937_64& r, int64_t n) { return static_cast<int64_t>(uniform01(r) * static_cast<double>(n)); }
double gaussian(std::mt19937_64& r) {  // Box-Muller
  const double u1 = std::max(uniform01(r), 1e-300), u2 = uniform01(r);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}
template <class T>
void shuffle(std::vector<T>& v, std::mt19937_64& r) {
  for (size_t k = v.size(); k > 1; --k) std::swap(v[k - 1], v[static_cast<size_t>(below(r, static_cast<int64_t>(k)))]);
}

// Runs f(i) for i in [0, n) on `workers` threads; the first error is rethrown after all stop.
void parallel_for(int64_t n, int workers, Progress* progress, const std::function<void(int64_t)>& f) {
  std::atomic<int64_t> next{0}, done{0};
  std::exception_ptr error;
  std::mutex mu;
  auto work = [&] {
    for (int64_t i; (i = next++) < n;) {
      {
        std::lock_guard<std::mutex> lk(mu);
        if (error) return;
      }
      try {
        f(i);
      } catch (...) {
        std::lock_guard<std::mutex> lk(mu);
        if (!error) error = std::current_exception();
        return;
      }
      const int64_t d = ++done;
      if (progress) {
        std::lock_guard<std::mutex> lk(mu);
        progress->update(d);
      }
    }
  };
  std::vector<std::thread> pool;
  for (int w = 0; w < std::max(1, workers); ++w) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

struct VoicePool {
  std::vector<std::string> train, val, test;
  const std::vector<std::string>& of(const std::string& split) const {
    return split == "train" ? train : split == "val" ? val : test;
  }
};

// Disjoint eSpeak variants per split, so test voices are never heard in training.
VoicePool split_voices(uint64_t seed) {
  auto all = espeak_variants();
  all.insert(all.begin(), "");  // the plain voice
  std::mt19937_64 r(mix(seed, 0x766f696365));
  shuffle(all, r);
  VoicePool p;
  const size_t n = all.size(), n_test = std::max<size_t>(1, n / 4), n_val = std::max<size_t>(1, n / 8);
  for (size_t k = 0; k < n; ++k) (k < n_test ? p.test : k < n_test + n_val ? p.val : p.train).push_back(all[k]);
  if (p.train.empty()) p.train = p.test;
  return p;
}

Voice draw_voice(const std::vector<std::string>& variants, std::mt19937_64& r) {
  Voice v;
  v.variant = variants[static_cast<size_t>(below(r, static_cast<int64_t>(variants.size())))];
  v.rate_wpm = 130 + static_cast<int>(below(r, 81));  // 130..210 words per minute
  v.pitch = 25 + static_cast<int>(below(r, 51));      // 25..75
  v.range = 30 + static_cast<int>(below(r, 51));
  return v;
}

// `speech` placed at a random offset in a clip of `seconds`, white noise at `snr_db` relative to the
// speech's power where it is voiced. speech undefined = noise only (an uninformative clip).
// `span` (optional) receives the speech's [start, end) in seconds.
torch::Tensor mix_clip(const torch::Tensor& speech, double seconds, double snr_db, std::mt19937_64& r,
                       std::pair<double, double>* span = nullptr) {
  int64_t n = static_cast<int64_t>(std::lround(seconds * kRate));
  double speech_power = 0.01;
  torch::Tensor out;
  if (speech.defined()) {
    auto s = speech / std::max(1e-6, speech.abs().max().item<double>()) * 0.5;
    n = std::max(n, s.numel() + kRate / 10);
    const auto voiced = s.abs() > 0.02;
    speech_power = voiced.any().item<bool>() ? s.pow(2).masked_select(voiced).mean().item<double>() : 1e-4;
    out = torch::zeros({n});
    const int64_t off = below(r, n - s.numel() + 1);
    out.slice(0, off, off + s.numel()).copy_(s);
    if (span) *span = {static_cast<double>(off) / kRate, static_cast<double>(off + s.numel()) / kRate};
  } else {
    out = torch::zeros({n});
  }
  const double noise_std = std::sqrt(speech_power / std::pow(10.0, snr_db / 10.0));
  std::vector<float> noise(static_cast<size_t>(n));
  for (auto& x : noise) x = static_cast<float>(gaussian(r) * noise_std);
  out += torch::from_blob(noise.data(), {n}, torch::kFloat).clone();
  const double peak = out.abs().max().item<double>();
  if (peak > 0.99) out *= 0.99 / peak;
  return out;
}

// One frame: the 28x28 item scaled by `scale`, shifted by (dy, dx), on a size x size black canvas; RGB uint8.
torch::Tensor place_item(const torch::Tensor& item28, int size, double scale, int dy, int dx) {
  const int s = std::max(4, static_cast<int>(std::lround(28.0 * scale * size / 32.0)));
  auto resized = resize(item28.unsqueeze(0), s, s).squeeze(0);  // uint8
  auto canvas = torch::zeros({size, size}, torch::kUInt8);
  const int top = (size - s) / 2 + dy, left = (size - s) / 2 + dx;
  for (int y = 0; y < s; ++y) {
    const int cy = top + y;
    if (cy < 0 || cy >= size) continue;
    const int x0 = std::max(0, -left), x1 = std::min(s, size - left);
    if (x1 > x0) canvas[cy].slice(0, left + x0, left + x1).copy_(resized[y].slice(0, x0, x1));
  }
  return canvas.unsqueeze(0).expand({3, size, size}).contiguous();
}

// An uninformative frame: a dark, smooth, random texture with no item in it.
torch::Tensor blank_frame(int size, std::mt19937_64& r) {
  std::vector<float> v(16);
  for (auto& x : v) x = static_cast<float>(uniform(r, 0.0, 40.0));
  auto small = torch::from_blob(v.data(), {1, 1, 4, 4}, torch::kFloat).clone();
  auto big = torch::upsample_bilinear2d(small, {size, size}, false).squeeze(0);
  return big.clamp(0, 255).to(torch::kUInt8).expand({3, size, size}).contiguous();
}

std::string class_folder(const std::string& spoken) {
  std::string s = spoken;
  std::replace(s.begin(), s.end(), ' ', '_');
  return s;
}

// A set is written under a temporary name and renamed when complete: never half a set under its name.
void publish(const fs::path& tmp, const fs::path& final_path) {
  fs::remove_all(final_path);
  fs::rename(tmp, final_path);
}

struct AvClipMeta {
  std::string name, split, voice;
  int64_t label = 0, image_index = 0;
  double snr_db = 0, seconds = 0;
  std::pair<double, double> speech_span{0, 0};
  bool audio_informative = true, visual_informative = true;
};

}  // namespace

EmbeddedDataOptions EmbeddedDataOptions::quick() {
  EmbeddedDataOptions o;
  o.av_train = 120;
  o.av_val = 30;
  o.av_test = 60;
  o.source_train = 600;
  o.source_test = 200;
  o.words = 30;
  o.word_train = 4;
  o.word_test = 2;
  return o;
}

std::string default_data_dir() {
  if (const char* env = std::getenv("AVTUNE_DATA"); env && *env) return env;
  return "data/embedded";
}

const std::vector<std::string>& spoken_word_list() {
  static const std::vector<std::string> w = {
      "apple",  "river",  "garden", "window", "yellow", "seven",   "morning", "silver", "tiger",  "piano",
      "candle", "forest", "number", "orange", "planet", "rabbit",  "summer",  "tomato", "violin", "winter",
      "zebra",  "basket", "camera", "doctor", "engine", "finger",  "guitar",  "island", "jungle", "kitchen",
      "lemon",  "monkey", "needle", "pencil", "rocket", "spider",  "turtle",  "valley", "wizard", "anchor"};
  return w;
}

EmbeddedDataReport make_embedded_data(const EmbeddedDataOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const fs::path out = o.out_dir.empty() ? fs::path(default_data_dir()) : fs::path(o.out_dir);
  if (o.words < 1 || o.words > static_cast<int>(spoken_word_list().size()))
    fail("make-data", "1.." + std::to_string(spoken_word_list().size()) + " spoken words", std::to_string(o.words));
  if (o.image_size < 16) fail("make-data", "image size >= 16", std::to_string(o.image_size));
  if (o.frames < 1) fail("make-data", "frames >= 1", std::to_string(o.frames));
  // Check every Debian-provided input first, so a missing package fails before anything is written.
  const ImageSet train_images = load_fashion_mnist("train"), test_images = load_fashion_mnist("test");
  const VoicePool voices = split_voices(o.seed);
  EmbeddedDataReport rep;
  std::atomic<int64_t> files{0};

  // Disjoint Fashion-MNIST images: av-fashion train/val and fashion-source train from the official
  // train split, av-fashion test and fashion-source test from the official test split.
  std::mt19937_64 pick(mix(o.seed, 0x696d616765));
  std::vector<int64_t> tr(static_cast<size_t>(train_images.labels.size(0))), te(static_cast<size_t>(test_images.labels.size(0)));
  for (size_t k = 0; k < tr.size(); ++k) tr[k] = static_cast<int64_t>(k);
  for (size_t k = 0; k < te.size(); ++k) te[k] = static_cast<int64_t>(k);
  shuffle(tr, pick);
  shuffle(te, pick);
  if (o.av_train + o.av_val + o.source_train > static_cast<int>(tr.size()) || o.av_test + o.source_test > static_cast<int>(te.size()))
    fail("make-data", "sizes that fit Fashion-MNIST (60000 train / 10000 test images)", "more");

  const auto& spoken = fashion_mnist_spoken();
  // A split of an image set: how many items, from which images, starting at which index.
  struct Split {
    std::string name;
    int count;
    const ImageSet* images;
    const int64_t* index;
  };
  // ---------------------------------------------------------------- av-fashion
  {
    const fs::path final_root = out / "av-fashion", root = out / ".partial-av-fashion";
    fs::remove_all(root);
    const Split splits[] = {{"train", o.av_train, &train_images, tr.data()},
                            {"val", o.av_val, &train_images, tr.data() + o.av_train},
                            {"test", o.av_test, &test_images, te.data()}};
    std::vector<AvClipMeta> all_meta;
    for (const auto& sp : splits) {
      std::vector<AvClipMeta> meta(static_cast<size_t>(sp.count));
      // eSpeak's output depends on what it spoke before, so words are spoken one by one in index
      // order (same bytes whatever the thread count); mixing and writing then run in parallel.
      std::vector<torch::Tensor> speech_of(static_cast<size_t>(sp.count));
      for (int64_t i = 0; i < sp.count; ++i) {
        std::mt19937_64 r(mix(mix(o.seed, tag("av-" + sp.name)), static_cast<uint64_t>(i)));
        const bool audio_ok = uniform01(r) >= o.audio_uninformative;
        uniform01(r);
        uniform(r, 0, 1);
        uniform(r, 0, 1);
        const Voice v = draw_voice(voices.of(sp.name), r);
        if (audio_ok) speech_of[static_cast<size_t>(i)] = speak(spoken[static_cast<size_t>(sp.images->labels[sp.index[i]].item<int64_t>())], v, kRate);
      }
      Progress prog("make-data av-fashion/" + sp.name, sp.count);
      parallel_for(sp.count, o.workers, o.quiet ? nullptr : &prog, [&](int64_t i) {
        std::mt19937_64 r(mix(mix(o.seed, tag("av-" + sp.name)), static_cast<uint64_t>(i)));
        AvClipMeta m;
        m.image_index = sp.index[i];
        m.label = sp.images->labels[m.image_index].item<int64_t>();
        m.split = sp.name;
        m.name = fmt::format("{}_{:05d}", sp.name, i);
        m.audio_informative = uniform01(r) >= o.audio_uninformative;
        m.visual_informative = uniform01(r) >= o.visual_uninformative;
        m.seconds = uniform(r, o.clip_min_s, o.clip_max_s);
        m.snr_db = uniform(r, o.snr_min_db, o.snr_max_db);
        const Voice v = draw_voice(voices.of(sp.name), r);
        m.voice = m.audio_informative ? v.describe() : "none";
        const torch::Tensor& speech = speech_of[static_cast<size_t>(i)];  // same draws as the pass above
        auto wave = mix_clip(speech, m.seconds, m.snr_db, r, &m.speech_span);
        write_wav16((root / "audio" / sp.name / (m.name + ".wav")).string(), wave, kRate);
        const fs::path fdir = root / "visual" / sp.name / m.name;
        fs::create_directories(fdir);
        const auto item = sp.images->images[m.image_index];
        for (int k = 1; k <= o.frames; ++k) {
          // Small per-frame jitter, as consecutive video frames of one object.
          auto frame = m.visual_informative
                           ? place_item(item, o.image_size, uniform(r, 0.85, 1.1), static_cast<int>(below(r, 7)) - 3,
                                        static_cast<int>(below(r, 7)) - 3)
                           : blank_frame(o.image_size, r);
          write_jpeg((fdir / fmt::format("frame_{:05d}.jpg", k)).string(), frame, 92);
        }
        files += 1 + o.frames;
        meta[static_cast<size_t>(i)] = m;
      });
      if (!o.quiet) prog.finish();
      ClipList list;
      for (const auto& s : spoken) list.classes.push_back(s);
      for (const auto& m : meta) list.entries.push_back({m.name, m.label, 0});
      write_ks_list((root / (sp.name + "_1fps_path.txt")).string(), list, "visual/" + sp.name);
      all_meta.insert(all_meta.end(), meta.begin(), meta.end());
    }
    std::string csv =
        "name,split,label,class,fmnist_index,seconds,speech_start_s,speech_end_s,snr_db,voice,audio_informative,visual_informative\n";
    for (const auto& m : all_meta)
      csv += fmt::format("{},{},{},{},{},{:.3f},{:.4f},{:.4f},{:.2f},{},{},{}\n", m.name, m.split, m.label,
                         spoken[static_cast<size_t>(m.label)], m.image_index, m.seconds, m.speech_span.first, m.speech_span.second,
                         m.snr_db, m.voice, int(m.audio_informative), int(m.visual_informative));
    write_file_atomic((root / "clips.csv").string(), csv);
    publish(root, final_root);
  }

  // ---------------------------------------------------------------- fashion-source
  {
    const fs::path final_root = out / "fashion-source", root = out / ".partial-fashion-source";
    fs::remove_all(root);
    const Split splits[] = {{"train", o.source_train, &train_images, tr.data() + o.av_train + o.av_val},
                            {"test", o.source_test, &test_images, te.data() + o.av_test}};
    for (const auto& sp : splits) {
      for (const auto& c : spoken) fs::create_directories(root / sp.name / class_folder(c));
      Progress prog("make-data fashion-source/" + sp.name, sp.count);
      parallel_for(sp.count, o.workers, o.quiet ? nullptr : &prog, [&](int64_t i) {
        const int64_t idx = sp.index[i];
        const int64_t label = sp.images->labels[idx].item<int64_t>();
        auto img = sp.images->images[idx].unsqueeze(0).expand({3, 28, 28}).contiguous();
        write_png((root / sp.name / class_folder(spoken[static_cast<size_t>(label)]) / fmt::format("{:05d}.png", i)).string(), img);
        ++files;
      });
      if (!o.quiet) prog.finish();
    }
    publish(root, final_root);
  }

  // ---------------------------------------------------------------- spoken-words
  {
    const fs::path final_root = out / "spoken-words", root = out / ".partial-spoken-words";
    fs::remove_all(root);
    const auto& words = spoken_word_list();
    for (const std::string split : {"train", "test"}) {
      const int per = split == "train" ? o.word_train : o.word_test;
      const int64_t n = static_cast<int64_t>(o.words) * per;
      std::vector<ClipEntry> entries(static_cast<size_t>(n));
      std::vector<torch::Tensor> speech_of(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) {  // serial, in order: see av-fashion above
        std::mt19937_64 r(mix(mix(o.seed, tag("words-" + split)), static_cast<uint64_t>(i)));
        speech_of[static_cast<size_t>(i)] = speak(words[static_cast<size_t>(i % o.words)], draw_voice(voices.of(split), r), kRate);
      }
      Progress prog("make-data spoken-words/" + split, n);
      parallel_for(n, o.workers, o.quiet ? nullptr : &prog, [&](int64_t i) {
        std::mt19937_64 r(mix(mix(o.seed, tag("words-" + split)), static_cast<uint64_t>(i)));
        const int64_t w = i % o.words;
        draw_voice(voices.of(split), r);  // keeps the draws in step with the pass above
        auto wave = mix_clip(speech_of[static_cast<size_t>(i)], uniform(r, 1.0, 1.5),
                             uniform(r, o.snr_min_db + 5.0, o.snr_max_db + 5.0), r);
        const std::string name = fmt::format("{}_{:05d}", split, i);
        write_wav16((root / "audio" / split / (name + ".wav")).string(), wave, kRate);
        entries[static_cast<size_t>(i)] = {name, w, 0};
        ++files;
      });
      if (!o.quiet) prog.finish();
      ClipList list;
      list.classes.assign(words.begin(), words.begin() + o.words);
      list.entries = entries;
      write_ks_list((root / (split + "_1fps_path.txt")).string(), list, "audio/" + split);
    }
    publish(root, final_root);
  }

  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rep.files = files;
  // ---------------------------------------------------------------- data card
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (size_t k = 0; k < v.size(); ++k) s += (k ? ", " : "") + (v[k].empty() ? std::string("(plain)") : v[k]);
    return s;
  };
  std::string card = fmt::format(
      "# avtune embedded data\n\nMade by `avtune make-data` (seed {}) from Debian packages: "
      "Fashion-MNIST (`dataset-fashion-mnist`) and speech from libespeak-ng (`espeak-ng-data`). Same seed, same bytes.\n\n"
      "## av-fashion (audio-visual target set, Kinetics-Sounds layout)\n"
      "- classes (10): {}\n- clips: train {}, val {}, test {}; list files `<split>_1fps_path.txt`, `classes.txt`; per-clip facts in `clips.csv`\n"
      "- visual: {} frames per clip, {}x{} JPEG, one Fashion-MNIST item with per-frame scale (0.85-1.1) and shift (+-3 px) jitter; "
      "train/val images from the official train split, test images from the official test split (disjoint)\n"
      "- audio: 16 kHz mono 16-bit wav of {:.1f}-{:.1f} s, the class name spoken by espeak-ng (random variant, rate 130-210 wpm, "
      "pitch 25-75) at a random offset, white noise at SNR {:.0f}..{:.0f} dB\n"
      "- uninformative clips: {:.0f}% with noise-only audio, {:.0f}% with item-free frames (independent draws), so some clips are "
      "easy in one modality and hard in the other\n"
      "- voices: disjoint eSpeak variants per split; train: {}; val: {}; test: {}\n\n"
      "## fashion-source (visual pre-training set, image folders)\n- train {} / test {} images, 28x28 PNG, `<split>/<class>/`, "
      "disjoint from av-fashion's images\n\n"
      "## spoken-words (audio pre-training set, Kinetics-Sounds layout, audio only)\n- {} words (none a class name above): {}\n"
      "- {} clips per word in train, {} in test, 1-1.5 s, SNR {:.0f}..{:.0f} dB, same voice split\n",
      o.seed, join(spoken), o.av_train, o.av_val, o.av_test, o.frames, o.image_size, o.image_size, o.clip_min_s,
      o.clip_max_s, o.snr_min_db, o.snr_max_db, 100 * o.audio_uninformative, 100 * o.visual_uninformative, join(voices.train),
      join(voices.val), join(voices.test), o.source_train, o.source_test, o.words,
      join(std::vector<std::string>(spoken_word_list().begin(), spoken_word_list().begin() + o.words)), o.word_train, o.word_test,
      o.snr_min_db + 5, o.snr_max_db + 5);
  rep.card_path = (out / "README.md").string();
  write_file_atomic(rep.card_path, card);
  return rep;
}

}  // namespace avtune
