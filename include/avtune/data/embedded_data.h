#pragma once
// `avtune make-data`: the embedded default data, built from Debian packages in the on-disk layouts
// of real data sets, so every downstream command reads it through the same loaders:
//   <out>/av-fashion/      audio-visual, 10 Fashion-MNIST classes, Kinetics-Sounds layout
//                          (3 jittered frames of one item + the class name spoken by espeak-ng in noise)
//   <out>/fashion-source/  visual pre-training set (image folders), images disjoint from av-fashion
//   <out>/spoken-words/    audio pre-training set, >= 30 spoken words disjoint from the class names
// A data card (<out>/README.md) records how it was made. The same seed gives byte-identical files.
#include <cstdint>
#include <string>
#include <vector>

namespace avtune {

struct EmbeddedDataOptions {
  std::string out_dir;  // default: default_data_dir()
  uint64_t seed = 0;
  int workers = 2;
  bool quiet = false;
  // av-fashion
  int av_train = 1500, av_val = 300, av_test = 600;
  int image_size = 32;                  // frames are image_size x image_size JPEGs
  int frames = 3;                       // frames per clip (T)
  double clip_min_s = 1.0, clip_max_s = 2.0;
  double snr_min_db = -5.0, snr_max_db = 10.0;
  double audio_uninformative = 0.15;    // clips whose audio is noise only
  double visual_uninformative = 0.15;   // clips whose frames show no item
  // fashion-source (per split, balanced over the 10 classes)
  int source_train = 12000, source_test = 2000;
  // spoken-words (per word)
  int words = 30;
  int word_train = 40, word_test = 12;

  static EmbeddedDataOptions quick();   // a small size for tests and smoke runs
};

struct EmbeddedDataReport {
  double seconds = 0;
  int64_t files = 0;
  std::string card_path;
};

EmbeddedDataReport make_embedded_data(const EmbeddedDataOptions& opts);

// $AVTUNE_DATA when set, else ./data/embedded.
std::string default_data_dir();

// The 30+ pre-training words (none of them a class name of av-fashion).
const std::vector<std::string>& spoken_word_list();

}  // namespace avtune
