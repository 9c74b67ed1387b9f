// .npy: the header dict, dtype, shape and data size.
#include <torch/torch.h>

#include "avtune/io/npy.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  at::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  avtune::fuzz::MemFile f(data, size);
  avtune::fuzz::expect_clean([&] { (void)avtune::read_npy(f.path()); });
  return 0;
}
