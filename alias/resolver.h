// Resolves a requested model name to a global model (SPEC section 5).
//
// Order: direct_match (a model's name), provider_model_name (a target's
// provider model), alias (a model's aliases, then a full match of its RE2
// patterns). Within a level the first model in config order wins. Exact names
// live in a hash index built at construction; every answer, not_found
// included, goes through a bounded sharded cache so `cache_hit` is meaningful
// and random names cannot grow memory. Names longer than kMaxCachedNameBytes
// are resolved but never cached (an attacker's long names would otherwise make
// each cache entry expensive).
//
// One Resolver per config version: it is rebuilt with the config, which
// resets the cache and the "conflict already reported" memory.
// Thread-safety: resolve() and cacheSize() may be called concurrently from any
// thread; the ConflictSink is invoked from whichever thread finds a conflict.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "alias/name_cache.h"
#include "alias/resolution.h"
#include "conf/config.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace slotgate::alias {

// Called once per conflicting name per Resolver: at construction for each of
// config.load_conflicts, and at run time the first time a requested name fully
// matches patterns of two or more models (winner = first in config order).
using ConflictSink =
    std::function<void(std::string_view name, std::string_view winner, std::string_view other)>;

class Resolver {
 public:
  static constexpr size_t kMaxCachedNameBytes = 256;
  // Bound on remembered runtime-conflict names; past it new conflicts are
  // counted in suppressedConflicts() instead of reported (a flood of distinct
  // names matching two patterns must not grow memory or flood the log).
  static constexpr size_t kMaxRememberedConflicts = 65536;

  // config must outlive the resolver. cache_capacity bounds the number of
  // cached names (positive and negative); 0 disables the cache.
  Resolver(const conf::Config& config, ConflictSink on_conflict, size_t cache_capacity = 65536);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  [[nodiscard]] Resolution resolve(std::string_view name);

  size_t cacheSize() const { return cache_.size(); }
  size_t cacheCapacity() const { return cache_.capacity(); }
  size_t suppressedConflicts() const {
    return suppressed_conflicts_.load(std::memory_order_relaxed);
  }

 private:
  class RE2Set;  // wraps re2::RE2::Set, kept out of this header
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct PatternRef {
    uint32_t model_index;
    const re2::RE2* re;
  };

  struct PatternMatch {
    uint32_t winner = UINT32_MAX;  // first model in config order whose pattern fully matches
    uint32_t other = UINT32_MAX;   // a second such model (a conflict), if any
  };

  CachedAnswer resolveUncached(std::string_view name, uint64_t hash);
  void buildPatternSet();
  [[nodiscard]] bool matchWithSet(std::string_view name, PatternMatch& out) const;
  PatternMatch matchOneByOne(std::string_view name) const;
  Resolution toResolution(CachedAnswer answer, bool cache_hit) const;
  // Returns true the first time `hash` is seen; false after, or when the memory is full.
  bool rememberConflict(uint64_t hash);
  void indexExact(const std::string& name, uint32_t model_index, Method method);

  const conf::Config& config_;
  ConflictSink on_conflict_;
  std::unordered_map<std::string, CachedAnswer, StringHash, std::equal_to<>> exact_;
  std::vector<PatternRef> patterns_;              // config order
  std::vector<std::unique_ptr<re2::RE2>> owned_;  // patterns the loader left uncompiled
  // All patterns in one automaton: one pass over the name instead of one per
  // pattern. Null when the patterns' options differ or it fails to compile.
  std::unique_ptr<RE2Set> pattern_set_;
  NameCache cache_;

  std::mutex conflicts_mu_;
  std::unordered_set<uint64_t> reported_conflicts_;  // name hashes; guarded by conflicts_mu_
  std::atomic<size_t> suppressed_conflicts_{0};
};

using ResolverPtr = std::unique_ptr<Resolver>;

}  // namespace slotgate::alias
