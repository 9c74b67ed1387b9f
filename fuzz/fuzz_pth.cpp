// .pth files, zip (torch.save) and legacy (pre-1.6) alike, then the state-dict view the CLI takes.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "avtune/io/pth.h"
#include "avtune/io/weights_file.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  at::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  avtune::fuzz::MemFile f(data, size);
  avtune::fuzz::expect_clean([&] { (void)avtune::load_weights(f.path()); });
  return 0;
}
