#pragma once
// A thread-safe, process-wide memo with a memory cap: values computed outside the lock (callers
// load in parallel), kept until the cap is reached, then simply not kept. Shared by the fbank and
// decoded-frame caches.
#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <string>
#include <unordered_map>

namespace avtune {

template <typename V>
class MemoCache {
 public:
  // Cap from $<env_var> in MiB when set, else `default_bytes`; 0 disables.
  MemoCache(const char* env_var, size_t default_bytes) {
    const char* env = std::getenv(env_var);
    limit_ = env ? static_cast<size_t>(std::strtoull(env, nullptr, 10)) << 20 : default_bytes;
  }
  // The cached value for `key`, else load() (size_of(value) bytes) kept while under the cap.
  template <typename Load, typename SizeOf>
  V get(const std::string& key, Load load, SizeOf size_of) {
    bool disabled = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      disabled = limit_ == 0;  // disabled: computed every time, nothing served or kept
      if (!disabled) {
        const auto it = entries_.find(key);
        if (it != entries_.end()) return it->second;
      }
    }
    if (disabled) return load();
    V v = load();
    const size_t n = size_of(v);
    std::lock_guard<std::mutex> lock(mu_);
    if (bytes_ + n <= limit_ && entries_.emplace(key, v).second) bytes_ += n;
    return v;
  }
  // The cached value for `key` into *out, without loading; false when absent (or disabled).
  bool find(const std::string& key, V* out) {
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = entries_.find(key);
    if (it == entries_.end()) return false;
    *out = it->second;
    return true;
  }
  // Whether get() still keeps new values (enabled and under the cap).
  bool keeps_more() {
    std::lock_guard<std::mutex> lock(mu_);
    return limit_ > 0 && bytes_ < limit_;
  }
  void set_limit(size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    limit_ = bytes;
  }
  size_t bytes() {
    std::lock_guard<std::mutex> lock(mu_);
    return bytes_;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.clear();
    bytes_ = 0;
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, V> entries_;
  size_t bytes_ = 0, limit_ = 0;
};

}  // namespace avtune
