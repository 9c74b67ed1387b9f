#pragma once
// A few-second build of the embedded data sets for tests that need real files on disk.
#include <string>

#include "avtune/data/embedded_data.h"

namespace avtune::test {

inline EmbeddedDataOptions tiny_embedded(const std::string& out) {
  EmbeddedDataOptions o;
  o.out_dir = out;
  o.quiet = true;
  o.av_train = 40;
  o.av_val = 10;
  o.av_test = 20;
  o.source_train = 100;
  o.source_test = 50;
  o.words = 30;
  o.word_train = 2;
  o.word_test = 1;
  o.audio_uninformative = 0.2;
  o.visual_uninformative = 0.2;
  return o;
}

}  // namespace avtune::test
