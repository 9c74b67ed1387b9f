// .safetensors: the JSON header, dtypes, shapes and byte ranges.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "avtune/io/safetensors.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  at::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  avtune::fuzz::MemFile f(data, size);
  avtune::fuzz::expect_clean([&] {
    auto st = avtune::load_safetensors(f.path());
    (void)st;
  });
  return 0;
}
