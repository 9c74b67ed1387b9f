// Reading pickles: the unpickler (opcode dispatch, stack, memo, the result's shape check), with the
// persistent-load hook through which tensors arrive; what globals build is in pickle_objects.cpp.
#include "avtune/io/pickle.h"

#include <torch/torch.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "avtune/util/error.h"
#include "pickle_objects.h"

namespace avtune::py {

namespace {

std::unordered_map<const Value*, size_t> check_shape(const ValuePtr& root, const std::string& source);

class Unpickler : private PickleErrors {
 public:
  Unpickler(const char* data, size_t size, const PersistentLoad& pl, const std::string& source, size_t max_values)
      : p_(data), end_(data + size), begin_(data), pl_(pl), source_(source), max_values_(max_values ? max_values : size) {}

  ValuePtr run(size_t* consumed) {
    for (;;) {
      const unsigned char op = static_cast<unsigned char>(read_byte());
      if (op == '.') {
        if (stack_.size() != 1) bad("one object on the stack at STOP", std::to_string(stack_.size()));
        if (consumed) *consumed = static_cast<size_t>(p_ - begin_);
        reachable_ = check_shape(stack_.back(), source_);
        done_ = true;
        return stack_.back();
      }
      step(op);
    }
  }

 private:
  const char* p_;
  const char* end_;
  const char* begin_;
  const PersistentLoad& pl_;
  std::string source_;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, ValuePtr> memo_;
  size_t max_values_;
  size_t pushed_ = 0;
  // String keys of the dicts this pickle fills, so SETITEMS replaces in O(1) instead of scanning.
  // Each holds its dict, so that no new dict can reuse the address of a freed one.
  struct DictIndex {
    ValuePtr dict;
    std::unordered_map<std::string, size_t> at;
  };
  std::unordered_map<const Value*, DictIndex> dict_index_;

  bool done_ = false;
  std::unordered_map<const Value*, size_t> reachable_;  // from the result, once done
  std::vector<std::weak_ptr<Value>> containers_;  // to break cycles a pickle left behind

  void push(ValuePtr v) {
    // Each push costs at least one input byte; a decompressed pickle gets a cap from its file size.
    if (++pushed_ > max_values_)
      bad("at most " + std::to_string(max_values_) + " values for a pickle of this size", "more (a pickle bomb?)");
    if (v->kind == Kind::List || v->kind == Kind::Dict || v->kind == Kind::Set || v->kind == Kind::Tuple ||
        v->kind == Kind::Object)
      containers_.push_back(v);
    stack_.push_back(std::move(v));
  }

 public:
  ~Unpickler() {
    // A hostile pickle may have made a list that contains itself (APPEND through the memo); emptying
    // every container it made frees them instead of leaking the cycle. A successful pickle's result is
    // acyclic (check_shape), but a cycle it left only in the memo leaked (fuzz_pickle,
    // fuzz/regressions/pickle/memo-cycle-leak.pkl): only what the result reaches is kept.
    for (auto& w : containers_)
      if (auto v = w.lock()) {
        if (done_ && reachable_.count(v.get())) continue;
        v->items.clear();
        v->entries.clear();
        v->args.reset();
        v->state.reset();
      }
  }

 private:

  [[noreturn]] void bad(const std::string& expected, const std::string& got) override {
    fail("pickle", expected, got + " at byte " + std::to_string(p_ - begin_), {source_});
  }
  void need(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) bad(std::to_string(n) + " more byte(s)", "end of data (truncated file?)");
  }
  char read_byte() {
    need(1);
    return *p_++;
  }
  uint64_t read_uint(size_t n) {
    need(n);
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) v |= static_cast<uint64_t>(static_cast<unsigned char>(p_[k])) << (8 * k);
    p_ += n;
    return v;
  }
  std::string read_bytes(size_t n) {
    need(n);
    std::string s(p_, n);
    p_ += n;
    return s;
  }
  std::string read_line() {
    const char* nl = static_cast<const char*>(std::memchr(p_, '\n', static_cast<size_t>(end_ - p_)));
    if (!nl) bad("a newline-terminated argument", "end of data");
    std::string s(p_, static_cast<size_t>(nl - p_));
    p_ = nl + 1;
    return s;
  }
  ValuePtr pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) bad("a value on the stack", "empty stack");
    auto v = stack_.back();
    stack_.pop_back();
    return v;
  }
  ValuePtr& top() {
    if (stack_.empty()) bad("a value on the stack", "empty stack");
    return stack_.back();
  }
  std::vector<ValuePtr> pop_to_mark() {
    if (marks_.empty()) bad("a MARK before this opcode", "none");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<ValuePtr> items(stack_.begin() + static_cast<long>(m), stack_.end());
    stack_.resize(m);
    return items;
  }
  ValuePtr memo_get(uint64_t k) {
    auto it = memo_.find(k);
    if (it == memo_.end()) bad("a memo entry " + std::to_string(k), "none");
    return it->second;
  }
  int64_t parse_int(const std::string& l) {
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(l.c_str(), &end, 10);
    if (l.empty() || end != l.c_str() + l.size() || errno == ERANGE) bad("a decimal int (INT/LONG opcode) within 64 bits", "'" + l.substr(0, 40) + "'");
    return v;
  }
  double parse_float(const std::string& l) {
    char* end = nullptr;
    const double v = std::strtod(l.c_str(), &end);
    if (l.empty() || end != l.c_str() + l.size()) bad("a decimal float (FLOAT opcode)", "'" + l.substr(0, 40) + "'");
    return v;
  }
  void set_items(const ValuePtr& target, std::vector<ValuePtr>& kv) {
    if (kv.size() % 2) bad("key/value pairs", "an odd count");
    ValuePtr dict = target;
    if (target->kind == Kind::Object) {  // e.g. a dict subclass we do not know: keep its items in state
      if (!target->state) target->state = Value::dict();
      dict = target->state;
    }
    if (dict->kind != Kind::Dict) bad("a dict for SETITEM(S)", target->type_name());
    auto found = dict_index_.find(dict.get());
    if (found == dict_index_.end()) {
      found = dict_index_.emplace(dict.get(), DictIndex{dict, {}}).first;
      for (size_t e = 0; e < dict->entries.size(); ++e)
        if (dict->entries[e].first->kind == Kind::Str) found->second.at.emplace(dict->entries[e].first->s, e);
    }
    auto& index = found->second.at;
    for (size_t k = 0; k < kv.size(); k += 2) {
      if (kv[k]->kind == Kind::Str) {
        auto [it, inserted] = index.emplace(kv[k]->s, dict->entries.size());
        if (!inserted) {
          dict->entries[it->second].second = kv[k + 1];
          continue;
        }
      }
      dict->entries.emplace_back(kv[k], kv[k + 1]);
    }
  }

  void append_items(const ValuePtr& target, std::vector<ValuePtr>& items) {
    if (target->kind == Kind::List || target->kind == Kind::Set) {
      for (auto& v : items) target->items.push_back(v);
    } else if (target->kind == Kind::Object) {
      if (!target->state) target->state = Value::list({});
      for (auto& v : items) target->state->items.push_back(v);
    } else {
      bad("a list for APPEND(S)", target->type_name());
    }
  }

  void step(unsigned char op) {
    switch (op) {
      case 0x80: read_byte(); break;          // PROTO
      case 0x95: read_uint(8); break;          // FRAME
      case '}': push(Value::dict()); break;
      case ']': push(Value::list({})); break;
      case ')': push(Value::tuple({})); break;
      case 0x8f: { auto s = Value::list({}); s->kind = Kind::Set; push(s); break; }
      case '(': marks_.push_back(stack_.size()); break;
      case 'q': memo_[read_uint(1)] = top(); break;
      case 'r': memo_[read_uint(4)] = top(); break;
      case 0x94: memo_[memo_.size()] = top(); break;  // MEMOIZE
      case 'h': push(memo_get(read_uint(1))); break;
      case 'j': push(memo_get(read_uint(4))); break;
      case 'X': push(Value::str(read_bytes(read_uint(4)))); break;
      case 0x8c: push(Value::str(read_bytes(read_uint(1)))); break;
      case 0x8d: push(Value::str(read_bytes(read_uint(8)))); break;
      case 'T': push(Value::str(read_bytes(read_uint(4)))); break;
      case 'U': push(Value::str(read_bytes(read_uint(1)))); break;
      case 'B': push(Value::bytes(read_bytes(read_uint(4)))); break;
      case 'C': push(Value::bytes(read_bytes(read_uint(1)))); break;
      case 0x8e: case 0x96: push(Value::bytes(read_bytes(read_uint(8)))); break;
      case 'V': push(Value::str(read_line())); break;
      case 'S': {
        auto l = read_line();
        if (l.size() >= 2 && (l[0] == '\'' || l[0] == '"')) l = l.substr(1, l.size() - 2);
        push(Value::str(l));
        break;
      }
      case 'c': {
        auto mod = read_line();
        auto nm = read_line();
        push(Value::global(mod, nm));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        auto nm = pop();
        auto mod = pop();
        if (mod->kind != Kind::Str || nm->kind != Kind::Str) bad("module and name strings", "other values");
        push(Value::global(mod->s, nm->s));
        break;
      }
      case 'Q': {
        auto pid = pop();
        if (!pl_) bad("no persistent ids in this pickle", "BINPERSID");
        push(pl_(pid));
        break;
      }
      case 'P': {
        auto pid = Value::str(read_line());
        if (!pl_) bad("no persistent ids in this pickle", "PERSID");
        push(pl_(pid));
        break;
      }
      case 'J': push(Value::integer(static_cast<int32_t>(read_uint(4)))); break;
      case 'K': push(Value::integer(static_cast<int64_t>(read_uint(1)))); break;
      case 'M': push(Value::integer(static_cast<int64_t>(read_uint(2)))); break;
      case 0x8a: push(long_from_bytes(read_bytes(read_uint(1)))); break;
      case 0x8b: push(long_from_bytes(read_bytes(read_uint(4)))); break;
      case 'I': case 'L': {
        auto l = read_line();
        if (!l.empty() && l.back() == 'L') l.pop_back();
        if (l == "00") push(Value::boolean(false));
        else if (l == "01") push(Value::boolean(true));
        else push(Value::integer(parse_int(l)));
        break;
      }
      case 'G': {
        uint64_t bits = 0;
        need(8);
        for (int k = 0; k < 8; ++k) bits = (bits << 8) | static_cast<unsigned char>(p_[k]);
        p_ += 8;
        double d;
        std::memcpy(&d, &bits, 8);
        push(Value::floating(d));
        break;
      }
      case 'F': push(Value::floating(parse_float(read_line()))); break;
      case 'N': push(Value::none()); break;
      case 0x88: push(Value::boolean(true)); break;
      case 0x89: push(Value::boolean(false)); break;
      case 't': push(Value::tuple(pop_to_mark())); break;
      case 0x85: { auto a = pop(); push(Value::tuple({a})); break; }
      case 0x86: { auto b = pop(); auto a = pop(); push(Value::tuple({a, b})); break; }
      case 0x87: { auto c = pop(); auto b = pop(); auto a = pop(); push(Value::tuple({a, b, c})); break; }
      case 'l': push(Value::list(pop_to_mark())); break;
      case 'd': {
        auto kv = pop_to_mark();
        auto d = Value::dict();
        set_items(d, kv);
        push(d);
        break;
      }
      case 'a': { std::vector<ValuePtr> v{pop()}; append_items(top(), v); break; }
      case 'e': case 0x90: { auto v = pop_to_mark(); append_items(top(), v); break; }
      case 's': { auto v = pop(); auto k = pop(); std::vector<ValuePtr> kv{k, v}; set_items(top(), kv); break; }
      case 'u': { auto kv = pop_to_mark(); set_items(top(), kv); break; }
      case 0x91: { auto s = Value::list(pop_to_mark()); s->kind = Kind::Set; push(s); break; }
      case 'R': { auto args = pop(); auto fn = pop(); push(call_global(fn, args, *this)); break; }
      case 0x81: { auto args = pop(); auto cls = pop(); push(call_global(cls, args, *this)); break; }
      case 0x92: { pop(); auto args = pop(); auto cls = pop(); push(call_global(cls, args, *this)); break; }
      case 'b': {  // BUILD: keep the state; for OrderedDict it is {'_metadata': ...}, which we do not need
        auto st = pop();
        top()->state = st;
        // Any value with a state can close a cycle (DUP, BUILD: a float whose state is itself;
        // fuzz/regressions/pickle/cycle-leak.pkl), so the teardown must see it too.
        if (top()->kind != Kind::List && top()->kind != Kind::Dict && top()->kind != Kind::Set &&
            top()->kind != Kind::Tuple && top()->kind != Kind::Object)
          containers_.push_back(top());
        break;
      }
      case '0': pop(); break;
      case '1': pop_to_mark(); break;
      case '2': push(top()); break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "0x%02x", op);
        bad("a known pickle opcode", buf);
      }
    }
  }
};

// Every value reachable from `root` at most kMaxPickleDepth deep and on no cycle (a list appended to
// itself through the memo). Iterative, with each node's depth memoised, so shared subtrees cost once.
// Returns the values reached.
std::unordered_map<const Value*, size_t> check_shape(const ValuePtr& root, const std::string& source) {
  std::unordered_map<const Value*, size_t> depth;  // absent: unseen; 0: on the current path
  struct Frame {
    const Value* v;
    std::vector<const Value*> kids;
    size_t next = 0, deepest = 0;
  };
  auto kids_of = [](const Value* v) {
    std::vector<const Value*> k;
    for (const auto& c : v->items) k.push_back(c.get());
    for (const auto& [a, b] : v->entries) {
      k.push_back(a.get());
      k.push_back(b.get());
    }
    k.push_back(v->args.get());
    k.push_back(v->state.get());
    return k;
  };
  std::vector<Frame> path;
  path.push_back({root.get(), kids_of(root.get())});
  depth[root.get()] = 0;
  while (!path.empty()) {
    Frame& f = path.back();
    if (f.next == f.kids.size()) {
      depth[f.v] = f.deepest + 1;
      const size_t d = f.deepest + 1;
      path.pop_back();
      if (!path.empty()) path.back().deepest = std::max(path.back().deepest, d);
      continue;
    }
    const Value* c = f.kids[f.next++];
    if (!c) continue;
    auto it = depth.find(c);
    if (it != depth.end()) {
      if (it->second == 0) fail("pickle", "an object graph without cycles", "a value that contains itself", {source});
      if (path.size() + it->second > kMaxPickleDepth)
        fail("pickle", "values nested at most " + std::to_string(kMaxPickleDepth) + " deep", "deeper nesting", {source});
      f.deepest = std::max(f.deepest, it->second);
      continue;
    }
    if (path.size() >= kMaxPickleDepth)
      fail("pickle", "values nested at most " + std::to_string(kMaxPickleDepth) + " deep", "deeper nesting", {source});
    depth[c] = 0;
    path.push_back({c, kids_of(c)});
  }
  return depth;
}

}  // namespace

ValuePtr unpickle(const char* data, size_t size, const PersistentLoad& pl, const std::string& source, size_t* consumed,
                  size_t max_values) {
  Unpickler u(data, size, pl, source, max_values);
  return u.run(consumed);
}
}  // namespace avtune::py
