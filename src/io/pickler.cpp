// Writing pickles that torch.load reads back; tensors leave through persistent ids.
#include "avtune/io/pickle.h"

#include <torch/torch.h>

#include <cstring>
#include <unordered_map>

#include "avtune/util/error.h"

namespace avtune::py {

namespace {

class Pickler {
 public:
  PickleOutput out;

  void dump(const ValuePtr& root) {
    op(0x80);
    op(2);
    write(root);
    op('.');
  }

 private:
  std::unordered_map<const void*, size_t> storage_keys_;

  void op(unsigned char c) { out.bytes.push_back(static_cast<char>(c)); }
  void u32(uint32_t v) {
    for (int k = 0; k < 4; ++k) out.bytes.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
  }
  void str(const std::string& s) {
    op('X');
    u32(static_cast<uint32_t>(s.size()));
    out.bytes += s;
  }
  void global(const std::string& m, const std::string& n) {
    op('c');
    out.bytes += m + "\n" + n + "\n";
  }
  void integer(int64_t v) {
    if (v >= 0 && v < 256) {
      op('K');
      op(static_cast<unsigned char>(v));
    } else if (v >= 0 && v < 65536) {
      op('M');
      op(static_cast<unsigned char>(v & 0xff));
      op(static_cast<unsigned char>(v >> 8));
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      op('J');
      u32(static_cast<uint32_t>(static_cast<int32_t>(v)));
    } else {
      op(0x8a);
      op(8);
      for (int k = 0; k < 8; ++k) out.bytes.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * k)) & 0xff));
    }
  }
  void int_tuple(c10::IntArrayRef v) {
    op('(');
    for (auto x : v) integer(x);
    op('t');
  }
  void empty_ordered_dict() {
    global("collections", "OrderedDict");
    op(')');
    op('R');
  }

  void tensor(at::Tensor t) {
    if (!t.device().is_cpu()) t = t.cpu();
    const auto* impl = t.storage().unsafeGetStorageImpl();
    size_t key;
    auto it = storage_keys_.find(impl);
    if (it != storage_keys_.end()) {
      key = it->second;
    } else {
      key = out.storages.size();
      storage_keys_[impl] = key;
      const int64_t numel = static_cast<int64_t>(t.storage().nbytes() / t.element_size());
      // The whole storage, so views and shared storages round-trip as they were.
      out.storages.push_back(at::empty({0}, t.options()).set_(t.storage(), 0, {numel}, {1}).clone());
    }
    const int64_t numel = out.storages[key].numel();
    global("torch._utils", "_rebuild_tensor_v2");
    op('(');
    op('(');
    str("storage");
    global("torch", storage_class(t.scalar_type()));
    str(std::to_string(key));
    str("cpu");
    integer(numel);
    op('t');
    op('Q');
    integer(t.storage_offset());
    int_tuple(t.sizes());
    int_tuple(t.strides());
    op(0x89);
    empty_ordered_dict();
    op('t');
    op('R');
  }

  void write(const ValuePtr& v) {
    switch (v->kind) {
      case Kind::None: op('N'); break;
      case Kind::Bool: op(v->b ? 0x88 : 0x89); break;
      case Kind::Int:
        if (v->big_int) fail("pickle-write", "an int that fits in 64 bits", "a wider one");
        integer(v->i);
        break;
      case Kind::Float: {
        op('G');
        uint64_t bits;
        std::memcpy(&bits, &v->f, 8);
        for (int k = 7; k >= 0; --k) out.bytes.push_back(static_cast<char>((bits >> (8 * k)) & 0xff));
        break;
      }
      case Kind::Str: str(v->s); break;
      case Kind::Bytes:
        op('B');
        u32(static_cast<uint32_t>(v->s.size()));
        out.bytes += v->s;
        break;
      case Kind::Tuple:
        op('(');
        for (auto& x : v->items) write(x);
        op('t');
        break;
      case Kind::List:
        op(']');
        if (!v->items.empty()) {
          op('(');
          for (auto& x : v->items) write(x);
          op('e');
        }
        break;
      case Kind::Dict:
        if (v->ordered) empty_ordered_dict();
        else op('}');
        if (!v->entries.empty()) {
          op('(');
          for (auto& [k, x] : v->entries) {
            write(k);
            write(x);
          }
          op('u');
        }
        break;
      case Kind::Tensor: tensor(v->tensor); break;
      case Kind::Global: global(v->module, v->name); break;
      default: fail("pickle-write", "a plain value (None, bool, int, float, str, bytes, tuple, list, dict, tensor)", v->type_name());
    }
  }
};

}  // namespace

PickleOutput pickle_dump(const ValuePtr& root) {
  Pickler p;
  p.dump(root);
  return std::move(p.out);
}

}  // namespace avtune::py
