#include "avtune/io/pickle.h"

#include <torch/torch.h>

#include <cstring>
#include <unordered_map>

#include "avtune/util/error.h"

namespace avtune::py {

// ---------------------------------------------------------------- Value helpers

Value::~Value() {
  // Children whose last owner is this tree are moved to a work list and emptied there, one level at a
  // time, so the recursion of shared_ptr destructors never goes deeper than one Value.
  std::vector<ValuePtr> work;
  auto take = [&work](Value& v) {
    for (auto& c : v.items) work.push_back(std::move(c));
    for (auto& [k, x] : v.entries) {
      work.push_back(std::move(k));
      work.push_back(std::move(x));
    }
    work.push_back(std::move(v.args));
    work.push_back(std::move(v.state));
    v.items.clear();
    v.entries.clear();
  };
  take(*this);
  while (!work.empty()) {
    ValuePtr p = std::move(work.back());
    work.pop_back();
    if (p && p.use_count() == 1) take(*p);
  }
}

ValuePtr Value::none() { return std::make_shared<Value>(); }
ValuePtr Value::boolean(bool v) {
  auto p = std::make_shared<Value>();
  p->kind = Kind::Bool;
  p->b = v;
  return p;
}
ValuePtr Value::integer(int64_t v) {
  auto p = std::make_shared<Value>();
  p->kind = Kind::Int;
  p->i = v;
  return p;
}
ValuePtr Value::floating(double v) {
  auto p = std::make_shared<Value>();
  p->kind = Kind::Float;
  p->f = v;
  return p;
}
ValuePtr Value::str(std::string v) {
  auto p = std::make_shared<Value>();
  p->kind = Kind::Str;
  p->s = std::move(v);
  return p;
}
ValuePtr Value::bytes(std::string v) {
  auto p = std::make_shared<Value>();
  p->kind = Kind::Bytes;
  p->s = std::move(v);
  return p;
}
ValuePtr Value::tuple(std::vector<ValuePtr> v) {
  auto p = std::make_shared<Value>();
  p->kind = Kind::Tuple;
  p->items = std::move(v);
  return p;
}
ValuePtr Value::list(std::vector<ValuePtr> v) {
  auto p = std::make_shared<Value>();
  p->kind = Kind::List;
  p->items = std::move(v);
  return p;
}
ValuePtr Value::dict(bool ordered) {
  auto p = std::make_shared<Value>();
  p->kind = Kind::Dict;
  p->ordered = ordered;
  return p;
}
ValuePtr Value::from_tensor(at::Tensor t) {
  auto p = std::make_shared<Value>();
  p->kind = Kind::Tensor;
  p->tensor = std::move(t);
  return p;
}
ValuePtr Value::global(std::string module, std::string name) {
  auto p = std::make_shared<Value>();
  p->kind = Kind::Global;
  p->module = std::move(module);
  p->name = std::move(name);
  return p;
}

ValuePtr Value::get(const std::string& key) const {
  if (kind != Kind::Dict) return nullptr;
  for (const auto& [k, v] : entries)
    if (k->kind == Kind::Str && k->s == key) return v;
  return nullptr;
}

void Value::set(const std::string& key, ValuePtr v) {
  for (auto& e : entries)
    if (e.first->kind == Kind::Str && e.first->s == key) {
      e.second = std::move(v);
      return;
    }
  entries.emplace_back(Value::str(key), std::move(v));
}

std::string Value::type_name() const {
  switch (kind) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::Str: return "str";
    case Kind::Bytes: return "bytes";
    case Kind::Tuple: return "tuple";
    case Kind::List: return "list";
    case Kind::Dict: return ordered ? "OrderedDict" : "dict";
    case Kind::Set: return "set";
    case Kind::Tensor: return "tensor";
    case Kind::Storage: return "storage";
    case Kind::Global: return "global " + module + "." + name;
    case Kind::Object: return module + "." + name;
  }
  return "?";
}

// ---------------------------------------------------------------- dtype <-> storage class

namespace {
struct StorageName {
  const char* name;
  c10::ScalarType dtype;
};
const StorageName kStorages[] = {
    {"FloatStorage", c10::kFloat},   {"DoubleStorage", c10::kDouble}, {"HalfStorage", c10::kHalf},
    {"BFloat16Storage", c10::kBFloat16}, {"LongStorage", c10::kLong}, {"IntStorage", c10::kInt},
    {"ShortStorage", c10::kShort},   {"CharStorage", c10::kChar},     {"ByteStorage", c10::kByte},
    {"BoolStorage", c10::kBool},
};
}  // namespace

c10::ScalarType storage_dtype(const std::string& cls, const std::string& source) {
  for (const auto& s : kStorages)
    if (cls == s.name) return s.dtype;
  fail("pickle", "a torch storage class (FloatStorage, HalfStorage, ...)", "'" + cls + "'", {source});
}

std::string storage_class(c10::ScalarType dtype) {
  for (const auto& s : kStorages)
    if (dtype == s.dtype) return s.name;
  fail("pickle", "a tensor dtype that torch.save supports", c10::toString(dtype));
}

}  // namespace avtune::py
