// A value whose BUILD state is itself (DUP, BUILD) is a cycle through a non-container: rejected
// naming the file, and freed (fuzz/fuzz_pickle found the leak; scripts/fuzz.sh replays its input
// under LeakSanitizer). Issue 17.
#include <gtest/gtest.h>

#include <memory>
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

// A cycle left only in the memo while the result is something else: the pickle loads, and the cycle
// is freed with the unpickler (fuzz_pickle found it leaking: fuzz/regressions/pickle/memo-cycle-leak.pkl).
TEST(PickleSelfState, ACycleTheResultDoesNotReachIsFreed) {
  std::weak_ptr<py::Value> made;
  const py::PersistentLoad dict_of_ours = [&](const py::ValuePtr&) -> py::ValuePtr {
    auto d = py::Value::dict();
    made = d;
    return d;
  };
  // PROTO 2, NONE, BINPERSID (our dict), BINPUT 0, DUP, BUILD (its state is itself), POP, NONE, STOP.
  const std::string pkl("\x80\x02NQq\x00" "2b0N.", 11);
  const py::ValuePtr v = py::unpickle(pkl.data(), pkl.size(), dict_of_ours, "memo.pkl");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->kind, py::Kind::None);
  EXPECT_TRUE(made.expired()) << "the dict whose state is itself leaked";

  // What the result reaches is kept whole.
  const std::string keep("\x80\x02NQq\x00" "2b0h\x00.", 12);  // ... POP, BINGET 0, STOP: the cycle is the result
  EXPECT_NE(test::error_of([&] { py::unpickle(keep.data(), keep.size(), dict_of_ours, "memo.pkl"); }).find("contains itself"),
            std::string::npos);
  EXPECT_TRUE(made.expired());
}

}  // namespace
}  // namespace avtune
