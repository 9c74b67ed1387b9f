// A value whose BUILD state is itself (DUP, BUILD) is a cycle through a non-container: rejected
// naming the file, and freed (fuzz/fuzz_pickle found the leak; scripts/fuzz.sh replays its input
// under LeakSanitizer). Issue 17.
#include <gtest/gtest.h>

#include <string>

#include "avtune/io/pickle.h"
#include "../test_support_base.h"

namespace avtune {
namespace {

TEST(PickleSelfState, FloatWhoseStateIsItselfIsACycleError) {
  // PROTO 2, BINFLOAT 1.0, DUP, BUILD, STOP.
  const std::string pkl("\x80\x02G\x3f\xf0\x00\x00\x00\x00\x00\x00" "2b.", 14);
  const py::PersistentLoad none = [](const py::ValuePtr&) -> py::ValuePtr { return py::Value::none(); };
  const std::string e = test::error_of([&] { py::unpickle(pkl.data(), pkl.size(), none, "self.pkl"); });
  EXPECT_NE(e.find("self.pkl"), std::string::npos) << e;
  EXPECT_NE(e.find("contains itself"), std::string::npos) << e;
}

}  // namespace
}  // namespace avtune
