#pragma once
// What the unpickler builds from globals (pickle_objects.cpp). Private to src/io.
#include <string>

#include "avtune/io/pickle.h"

namespace avtune::py {

// Where a builder reports a malformed pickle: the unpickler's error, naming the source and the byte.
class PickleErrors {
 public:
  [[noreturn]] virtual void bad(const std::string& expected, const std::string& got) = 0;

 protected:
  ~PickleErrors() = default;
};

// A LONG1/LONG4 payload (little-endian two's complement): an Int, or a big_int keeping the bytes.
ValuePtr long_from_bytes(const std::string& b);

// The value of calling the Global `fn` with `args` (a tuple or list; else no arguments): REDUCE and
// NEWOBJ. `depth`: how deep _rebuild_from_type_v2 calls nest (at most 8).
ValuePtr call_global(const ValuePtr& fn, const ValuePtr& args, PickleErrors& err, int depth = 0);

}  // namespace avtune::py
