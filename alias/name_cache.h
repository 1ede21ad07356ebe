// A bounded, sharded cache of resolver answers keyed by the requested name.
//
// Negative answers are cached too, so the bound is what keeps a flood of random
// names from growing memory. Each shard has its own mutex and a CLOCK
// (second-chance) eviction ring of fixed size, so workers hashing to different
// shards never contend and a hit costs one hash, one lock and one map probe.
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "alias/resolution.h"

namespace slotgate::alias {

struct CachedAnswer {
  uint32_t model_index = UINT32_MAX;  // UINT32_MAX for kNotFound
  Method method = Method::kNotFound;
};

class NameCache {
 public:
  // capacity 0 disables caching. The cache never holds more than `capacity` names.
  explicit NameCache(size_t capacity);
  ~NameCache();
  NameCache(const NameCache&) = delete;
  NameCache& operator=(const NameCache&) = delete;

  // hash must be hashName(name); callers compute it once for find + insert.
  [[nodiscard]] std::optional<CachedAnswer> find(std::string_view name, uint64_t hash);
  // Inserts or overwrites; evicts a not-recently-used name when the shard is full.
  void insert(std::string_view name, uint64_t hash, CachedAnswer answer);

  size_t size() const;
  size_t capacity() const { return shard_capacity_ * shards_.size(); }

  static uint64_t hashName(std::string_view name);

 private:
  struct Shard;
  Shard& shardFor(uint64_t hash) const;

  size_t shard_capacity_ = 0;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace slotgate::alias
