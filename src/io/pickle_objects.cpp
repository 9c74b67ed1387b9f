// The objects a pickle's globals build (REDUCE, NEWOBJ): dicts, tensors viewed from their storages,
// parameters, numpy scalars, protocol 2's bytes, sets; anything else an opaque object. And the ints
// of LONG1/LONG4. Private to src/io (unpickler.cpp).
#include "pickle_objects.h"

#include <torch/torch.h>

#include <cstring>

namespace avtune::py {

namespace {

int64_t as_int(const ValuePtr& v, const std::string& what, PickleErrors& err) {
  if (v->kind == Kind::Int && !v->big_int) return v->i;
  if (v->kind == Kind::Bool) return v->b;
  err.bad(what + " as an int", v->type_name());
  return 0;  // not reached (bad throws); GCC does not see [[noreturn]] through the virtual call
}
std::vector<int64_t> as_int_list(const ValuePtr& v, const std::string& what, PickleErrors& err) {
  if (v->kind != Kind::Tuple && v->kind != Kind::List) err.bad(what + " as a tuple of ints", v->type_name());
  std::vector<int64_t> out;
  for (auto& x : v->items) out.push_back(as_int(x, what, err));
  return out;
}

ValuePtr rebuild_tensor(const std::vector<ValuePtr>& a, PickleErrors& err) {
  if (a.size() < 4) err.bad("_rebuild_tensor args (storage, offset, size, stride, ...)", std::to_string(a.size()) + " args");
  if (a[0]->kind != Kind::Storage) err.bad("a storage as the first _rebuild_tensor arg", a[0]->type_name());
  const at::Tensor& st = a[0]->tensor;
  const int64_t offset = as_int(a[1], "storage offset", err);
  auto size = as_int_list(a[2], "tensor size", err);
  auto stride = as_int_list(a[3], "tensor stride", err);
  if (size.size() != stride.size()) err.bad("size and stride of equal rank", std::to_string(size.size()) + " vs " + std::to_string(stride.size()));
  // Checked: a hostile size/stride must not overflow into a small "last element".
  int64_t last = offset;
  bool empty = false, overflow = false;
  for (size_t k = 0; k < size.size(); ++k) {
    if (size[k] < 0 || stride[k] < 0) err.bad("non-negative sizes and strides", "a negative one");
    if (size[k] == 0) empty = true;
    else {
      int64_t reach = 0;
      overflow = overflow || __builtin_mul_overflow(size[k] - 1, stride[k], &reach) || __builtin_add_overflow(last, reach, &last);
    }
  }
  if (!empty && (offset < 0 || overflow || last >= st.numel()))
    err.bad("a tensor view inside its storage of " + std::to_string(st.numel()) + " elements",
        overflow ? std::string("sizes and strides overflowing 64 bits") : "one reaching element " + std::to_string(last));
  if (empty) {
    int64_t n = 1;
    for (auto d : size)
      if (__builtin_mul_overflow(n, d, &n)) err.bad("a tensor size whose element count fits 64 bits", "an overflowing one");
  }
  if (empty) return Value::from_tensor(at::empty(size, st.options()));
  return Value::from_tensor(st.as_strided(size, stride, offset));
}

ValuePtr numpy_scalar(const std::vector<ValuePtr>& a, PickleErrors& err) {
  // numpy.core.multiarray.scalar(dtype, raw bytes) -> Python int/float
  if (a.size() == 2 && a[0]->kind == Kind::Object && a[0]->args && !a[0]->args->items.empty() &&
      a[0]->args->items[0]->kind == Kind::Str && a[1]->kind == Kind::Bytes) {
    const std::string& code = a[0]->args->items[0]->s;
    const std::string& raw = a[1]->s;
    auto take = [&](auto v) {
      if (raw.size() != sizeof(v)) err.bad("numpy scalar of " + std::to_string(sizeof(v)) + " bytes", std::to_string(raw.size()));
      std::memcpy(&v, raw.data(), sizeof(v));
      return v;
    };
    if (code == "f8") return Value::floating(take(double{}));
    if (code == "f4") return Value::floating(take(float{}));
    if (code == "i8") return Value::integer(take(int64_t{}));
    if (code == "i4") return Value::integer(take(int32_t{}));
    if (code == "u1") return Value::integer(take(uint8_t{}));
    if (code == "b1") return Value::boolean(take(uint8_t{}) != 0);
  }
  auto o = std::make_shared<Value>();
  o->kind = Kind::Object;
  o->module = "numpy";
  o->name = "scalar";
  o->args = Value::tuple(a);
  return o;
}

// _codecs.encode(str, 'latin1'): each code point (< 256) of the UTF-8 text becomes one byte.
ValuePtr latin1_bytes(const std::vector<ValuePtr>& a, PickleErrors& err) {
  if (a.empty() || a[0]->kind != Kind::Str) err.bad("_codecs.encode(str, encoding)", "other arguments");
  if (a.size() > 1 && a[1]->kind == Kind::Str && a[1]->s != "latin1" && a[1]->s != "latin-1")
    err.bad("latin1 in _codecs.encode", "'" + a[1]->s + "'");
  const std::string& u = a[0]->s;
  std::string out;
  for (size_t k = 0; k < u.size(); ++k) {
    const auto c = static_cast<unsigned char>(u[k]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if ((c & 0xe0) == 0xc0 && k + 1 < u.size()) {
      const unsigned cp = ((c & 0x1fu) << 6) | (static_cast<unsigned char>(u[++k]) & 0x3fu);
      if (cp > 0xff) err.bad("latin1 text", "a code point above 255");
      out.push_back(static_cast<char>(cp));
    } else {
      err.bad("latin1 text", "a code point above 255");
    }
  }
  return Value::bytes(out);
}

}  // namespace

ValuePtr long_from_bytes(const std::string& b) {
  if (b.size() <= 8) {
    uint64_t v = 0;
    for (size_t k = 0; k < b.size(); ++k) v |= static_cast<uint64_t>(static_cast<unsigned char>(b[k])) << (8 * k);
    if (!b.empty() && (static_cast<unsigned char>(b.back()) & 0x80) && b.size() < 8) v |= ~uint64_t{0} << (8 * b.size());
    return Value::integer(static_cast<int64_t>(v));
  }
  auto p = Value::integer(0);
  p->big_int = true;
  p->s = b;
  return p;
}

ValuePtr call_global(const ValuePtr& fn, const ValuePtr& args_v, PickleErrors& err, int depth) {
  if (fn->kind != Kind::Global) err.bad("a class or function to call", fn->type_name());
  std::vector<ValuePtr> a = args_v && (args_v->kind == Kind::Tuple || args_v->kind == Kind::List) ? args_v->items
                                                                                                  : std::vector<ValuePtr>{};
  const std::string& m = fn->module;
  const std::string& n = fn->name;
  if ((m == "collections" && n == "OrderedDict") || (m == "builtins" && n == "dict") || (m == "__builtin__" && n == "dict")) {
    auto d = Value::dict(n == "OrderedDict");
    if (!a.empty() && (a[0]->kind == Kind::List || a[0]->kind == Kind::Tuple))
      for (auto& pr : a[0]->items)
        if (pr->items.size() == 2) d->entries.emplace_back(pr->items[0], pr->items[1]);
    return d;
  }
  if (m == "torch._utils" && (n == "_rebuild_tensor_v2" || n == "_rebuild_tensor")) return rebuild_tensor(a, err);
  if (m == "torch._utils" && (n == "_rebuild_parameter" || n == "_rebuild_parameter_with_state")) {
    if (a.empty() || a[0]->kind != Kind::Tensor) err.bad("a tensor inside _rebuild_parameter", a.empty() ? "nothing" : a[0]->type_name());
    return a[0];
  }
  if (m == "torch._tensor" && n == "_rebuild_from_type_v2") {
    if (a.size() < 3) err.bad("_rebuild_from_type_v2(func, type, args, state)", std::to_string(a.size()) + " args");
    // torch.save nests it once (a Parameter subclass); a pickle can make it refer to itself forever.
    if (depth >= 8) err.bad("_rebuild_from_type_v2 nested at most 8 deep", "deeper (self-referencing arguments?)");
    return call_global(a[0], a[2], err, depth + 1);
  }
  if (m == "_codecs" && n == "encode") return latin1_bytes(a, err);  // how protocol 2 pickles bytes
  if (m == "torch" && n == "Size") return a.empty() ? Value::tuple({}) : Value::tuple(a[0]->items);
  if ((m == "numpy.core.multiarray" || m == "numpy._core.multiarray") && n == "scalar") return numpy_scalar(a, err);
  if ((m == "builtins" || m == "__builtin__") && (n == "set" || n == "frozenset")) {
    auto s = Value::list(a.empty() ? std::vector<ValuePtr>{} : a[0]->items);
    s->kind = Kind::Set;
    return s;
  }
  if (m == "torch._utils" && (n == "_rebuild_qtensor" || n == "_rebuild_sparse_tensor" || n == "_rebuild_sparse_csr" ||
                              n == "_rebuild_device_tensor_from_numpy" || n == "_rebuild_meta_tensor_no_storage"))
    err.bad("a dense tensor", "unsupported " + m + "." + n);
  // Anything else (argparse.Namespace, numpy.dtype, torch.device, ...) is kept as an opaque object.
  auto o = std::make_shared<Value>();
  o->kind = Kind::Object;
  o->module = m;
  o->name = n;
  o->args = Value::tuple(a);
  return o;
}

}  // namespace avtune::py
