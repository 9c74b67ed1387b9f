#include <gtest/gtest.h>
#include <torch/torch.h>

#include "avtune/io/pickle.h"
#include "avtune/util/error.h"

using namespace avtune;
using py::Kind;
using py::Value;

TEST(Pickle, RoundTripsPlainValues) {
  auto d = Value::dict(true);
  d->set("none", Value::none());
  d->set("t", Value::boolean(true));
  d->set("small", Value::integer(7));
  d->set("mid", Value::integer(40000));
  d->set("neg", Value::integer(-123456));
  d->set("big", Value::integer(int64_t{1} << 40));
  d->set("f", Value::floating(-2.5e-7));
  d->set("s", Value::str("héllo"));
  d->set("list", Value::list({Value::integer(1), Value::str("x")}));
  d->set("tuple", Value::tuple({Value::integer(2), Value::tuple({})}));
  auto out = py::pickle_dump(d);
  EXPECT_TRUE(out.storages.empty());
  auto back = py::unpickle(out.bytes.data(), out.bytes.size(), nullptr, "mem");
  ASSERT_EQ(back->kind, Kind::Dict);
  EXPECT_TRUE(back->ordered);
  EXPECT_EQ(back->get("none")->kind, Kind::None);
  EXPECT_TRUE(back->get("t")->b);
  EXPECT_EQ(back->get("small")->i, 7);
  EXPECT_EQ(back->get("mid")->i, 40000);
  EXPECT_EQ(back->get("neg")->i, -123456);
  EXPECT_EQ(back->get("big")->i, int64_t{1} << 40);
  EXPECT_DOUBLE_EQ(back->get("f")->f, -2.5e-7);
  EXPECT_EQ(back->get("s")->s, "héllo");
  EXPECT_EQ(back->get("list")->items.size(), 2u);
  EXPECT_EQ(back->get("tuple")->items[1]->kind, Kind::Tuple);
}

TEST(Pickle, TensorsSharingAStorageShareAKey) {
  auto base = torch::arange(12, torch::kFloat).view({3, 4});
  auto d = Value::dict();
  d->set("a", Value::from_tensor(base));
  d->set("b", Value::from_tensor(base.t()));
  d->set("c", Value::from_tensor(torch::ones({2}, torch::kHalf)));
  auto out = py::pickle_dump(d);
  ASSERT_EQ(out.storages.size(), 2u);
  EXPECT_EQ(out.storages[0].numel(), 12);
  EXPECT_EQ(out.storages[1].scalar_type(), torch::kHalf);
}

TEST(Pickle, TruncatedDataIsAClearError) {
  auto out = py::pickle_dump(Value::list({Value::str("abcdef"), Value::integer(3)}));
  try {
    py::unpickle(out.bytes.data(), out.bytes.size() - 6, nullptr, "cut.pkl");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("cut.pkl"), std::string::npos) << m;
    EXPECT_NE(m.find("end of data"), std::string::npos) << m;
  }
}

TEST(Pickle, UnknownOpcodeIsNamed) {
  const char bad[] = "\x80\x02\xff.";
  try {
    py::unpickle(bad, 4, nullptr, "bad.pkl");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("0xff"), std::string::npos) << e.what();
  }
}

TEST(Pickle, StorageClassNames) {
  EXPECT_EQ(py::storage_dtype("HalfStorage", "x"), torch::kHalf);
  EXPECT_EQ(py::storage_class(torch::kBFloat16), "BFloat16Storage");
  EXPECT_THROW(py::storage_dtype("QInt8Storage", "x"), Error);
}
