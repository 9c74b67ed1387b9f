#pragma once
// A Python pickle reader and writer for the subset that torch.save produces and users' checkpoints
// contain (OrderedDict with _metadata, nested dicts, tensors sharing storages, numpy scalars, ...).
// LibTorch's own pickle_load rejects OrderedDict state dicts, hence this module.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace avtune::py {

enum class Kind { None, Bool, Int, Float, Str, Bytes, Tuple, List, Dict, Set, Tensor, Storage, Global, Object };

struct Value;
using ValuePtr = std::shared_ptr<Value>;

struct Value {
  Kind kind = Kind::None;
  bool b = false;
  int64_t i = 0;
  double f = 0.0;
  std::string s;                                         // Str, Bytes; an Int too wide for int64 keeps its bytes here
  bool big_int = false;
  std::vector<ValuePtr> items;                           // Tuple, List, Set
  std::vector<std::pair<ValuePtr, ValuePtr>> entries;    // Dict, in insertion order
  bool ordered = false;                                  // Dict came from / goes to collections.OrderedDict
  at::Tensor tensor;                                     // Tensor; Storage as a 1-D typed tensor
  std::string module, name;                              // Global; an Object's class
  ValuePtr args, state;                                  // Object: constructor arguments and BUILD state

  Value() = default;
  Value(const Value&) = default;
  Value& operator=(const Value&) = default;
  // Iterative: a hostile pickle nesting 10^6 lists must not overflow the stack on teardown.
  ~Value();

  static ValuePtr none();
  static ValuePtr boolean(bool v);
  static ValuePtr integer(int64_t v);
  static ValuePtr floating(double v);
  static ValuePtr str(std::string v);
  static ValuePtr bytes(std::string v);
  static ValuePtr tuple(std::vector<ValuePtr> v);
  static ValuePtr list(std::vector<ValuePtr> v);
  static ValuePtr dict(bool ordered = false);
  static ValuePtr from_tensor(at::Tensor t);
  static ValuePtr global(std::string module, std::string name);

  bool is(Kind k) const { return kind == k; }
  // Dict lookup by string key; nullptr when absent or not a dict.
  ValuePtr get(const std::string& key) const;
  void set(const std::string& key, ValuePtr v);  // Dict insert or replace
  std::string type_name() const;                 // "dict", "OrderedDict", "tensor", "argparse.Namespace", ...
};

// Called for BINPERSID/PERSID with the persistent id; returns the object it stands for.
using PersistentLoad = std::function<ValuePtr(const ValuePtr& pid)>;

// Limits on what one pickle may build (docs/reliability.md). torch.save cannot write nesting deeper
// than Python's default recursion limit (1000), so deeper input is hostile or broken.
constexpr size_t kMaxPickleDepth = 1000;

// Unpickles one pickle from data[0, size). `source` names the file in error messages.
// If `consumed` is given, it receives the offset just past the STOP opcode. `max_values` caps the
// values the pickle may create (0: one per input byte, which one-byte opcodes cannot exceed); callers
// pass a bound from the file on disk when `data` was decompressed. The result is checked to be
// acyclic and at most kMaxPickleDepth deep, so recursive walkers of it are safe.
ValuePtr unpickle(const char* data, size_t size, const PersistentLoad& persistent_load, const std::string& source,
                  size_t* consumed = nullptr, size_t max_values = 0);

// Tensors become persistent storage references ('storage', torch.<T>Storage, key, 'cpu', numel) as torch.save
// writes them; tensors sharing a storage share its key. storages[k] holds the bytes for key std::to_string(k).
struct PickleOutput {
  std::string bytes;
  std::vector<at::Tensor> storages;  // 1-D, contiguous, CPU
};
PickleOutput pickle_dump(const ValuePtr& root);

// Storage class name (e.g. "FloatStorage") <-> dtype; throws for unknown names.
c10::ScalarType storage_dtype(const std::string& storage_class, const std::string& source);
std::string storage_class(c10::ScalarType dtype);

}  // namespace avtune::py
