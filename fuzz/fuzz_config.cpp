// A --config JSON file: the engine settings, then the model and data sections as a run reads them.
#include "avtune/run/run_spec.h"
#include "avtune/train/train_config.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  avtune::fuzz::MemFile f(data, size);
  avtune::fuzz::expect_clean([&] {
    const avtune::TrainConfig c = avtune::load_train_config(f.path());
    (void)avtune::data_settings_from_json(c.data, f.path());
    (void)avtune::model_settings_from_json(c.model, f.path());
  });
  return 0;
}
