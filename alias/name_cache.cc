#include "alias/name_cache.h"

#include <algorithm>
#include <functional>

namespace slotgate::alias {
namespace {

constexpr size_t kMaxShards = 16;

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace

struct NameCache::Shard {
  struct Entry {
    const std::string* key = nullptr;  // points at the map node's key (node addresses are stable)
    CachedAnswer answer;
    bool referenced = false;
  };

  std::mutex mu;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> index;  // name -> slot
  std::vector<Entry> ring;  // grows up to the shard capacity, then slots are reused
  size_t hand = 0;
};

NameCache::NameCache(size_t capacity) {
  if (capacity == 0) {
    return;
  }
  const size_t shard_count = std::min(kMaxShards, capacity);
  shard_capacity_ = capacity / shard_count;
  shards_.reserve(shard_count);
  for (size_t i = 0; i < shard_count; ++i) {
    auto shard = std::make_unique<Shard>();
    shard->index.reserve(std::min<size_t>(shard_capacity_, 4096));
    shards_.push_back(std::move(shard));
  }
}

NameCache::~NameCache() = default;

uint64_t NameCache::hashName(std::string_view name) { return std::hash<std::string_view>{}(name); }

NameCache::Shard& NameCache::shardFor(uint64_t hash) const {
  // High bits pick the shard; the map inside uses the full hash (mostly low bits).
  return *shards_[(hash >> 32) % shards_.size()];
}

std::optional<CachedAnswer> NameCache::find(std::string_view name, uint64_t hash) {
  if (shards_.empty()) {
    return std::nullopt;
  }
  Shard& shard = shardFor(hash);
  std::lock_guard lock(shard.mu);
  auto it = shard.index.find(name);
  if (it == shard.index.end()) {
    return std::nullopt;
  }
  Shard::Entry& entry = shard.ring[it->second];
  entry.referenced = true;
  return entry.answer;
}

void NameCache::insert(std::string_view name, uint64_t hash, CachedAnswer answer) {
  if (shards_.empty()) {
    return;
  }
  Shard& shard = shardFor(hash);
  std::lock_guard lock(shard.mu);
  if (auto it = shard.index.find(name); it != shard.index.end()) {
    // Another worker resolved the same name concurrently; the answers are equal.
    shard.ring[it->second].answer = answer;
    return;
  }
  uint32_t slot;
  if (shard.ring.size() < shard_capacity_) {
    slot = static_cast<uint32_t>(shard.ring.size());
    shard.ring.emplace_back();
  } else {
    // CLOCK: give referenced entries a second chance; terminates within two sweeps.
    while (shard.ring[shard.hand].referenced) {
      shard.ring[shard.hand].referenced = false;
      shard.hand = (shard.hand + 1) % shard.ring.size();
    }
    slot = static_cast<uint32_t>(shard.hand);
    shard.hand = (shard.hand + 1) % shard.ring.size();
    shard.index.erase(shard.index.find(*shard.ring[slot].key));
  }
  auto [it, inserted] = shard.index.emplace(std::string(name), slot);
  Shard::Entry& entry = shard.ring[slot];
  entry.key = &it->first;
  entry.answer = answer;
  entry.referenced = false;
}

size_t NameCache::size() const {
  size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    total += shard->index.size();
  }
  return total;
}

}  // namespace slotgate::alias
