// The unpickler alone (the data.pkl of every .pth): persistent ids become placeholder storages.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "avtune/io/pickle.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  at::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  avtune::fuzz::expect_clean([&] {
    avtune::py::PersistentLoad pl = [](const avtune::py::ValuePtr& pid) {
      return avtune::py::Value::from_tensor(at::zeros({4}, at::kFloat));
    };
    auto v = avtune::py::unpickle(reinterpret_cast<const char*>(data), size, pl, "fuzz.pkl");
    if (v) (void)v->type_name();
  });
  return 0;
}
