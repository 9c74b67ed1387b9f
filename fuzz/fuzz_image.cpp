// JPEG and PNG from memory, at full size and through the reduced-size (draft) JPEG path.
#include <torch/torch.h>

#include "avtune/vision/image_io.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  at::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  avtune::fuzz::expect_clean([&] { (void)avtune::decode_image(data, size, "fuzz.img"); });
  avtune::fuzz::MemFile f(data, size);
  avtune::fuzz::expect_clean([&] {
    avtune::ImageDecodeOptions o;
    o.min_height = o.min_width = 8;
    (void)avtune::read_image_hwc(f.path(), o);
  });
  return 0;
}
