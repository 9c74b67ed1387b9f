// Clip lists and CSVs: the first byte picks the reader (Kinetics-Sounds list, label CSV with and
// without known classes, ESC-50 metadata, class-name file); the rest is the file.
#include <set>

#include "avtune/data/clip_list.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t which = data[0] % 5;
  avtune::fuzz::MemFile f(data + 1, size - 1);
  avtune::fuzz::expect_clean([&] {
    switch (which) {
      case 0: (void)avtune::read_ks_list(f.path()); break;
      case 1: (void)avtune::read_label_csv(f.path()); break;
      case 2: (void)avtune::read_label_csv(f.path(), {"dog", "cat", "rain"}); break;
      case 3: (void)avtune::read_esc50(f.path(), std::set<int>{1, 2}); break;
      default: (void)avtune::read_class_names(f.path()); break;
    }
  });
  return 0;
}
