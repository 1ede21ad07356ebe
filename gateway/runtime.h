// What a request needs of the running config, as one immutable snapshot:
// the config, its resolver, its pre-resolved metric series, and the slot pools
// and breakers of its keys. A request keeps the snapshot it started with; a
// reload installs a new one (SPEC section 7).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "alias/resolver.h"
#include "conf/config.h"
#include "limits/circuit_breaker.h"
#include "limits/slot_pool.h"
#include "metrics/families.h"
#include "metrics/request_series.h"

namespace slotgate::gateway {

struct ProviderKeyState {
  std::shared_ptr<limits::SlotPool> slots;
  std::shared_ptr<limits::CircuitBreaker> breaker;
};

// Slot pools and breakers by key_id for the life of the process, so that a
// reload carries over the counts of keys that survive it. Thread-safe.
class KeyRegistry {
 public:
  explicit KeyRegistry(metrics::Metrics& metrics);
  ~KeyRegistry();
  // The pool for key_id with its limit set to `limit` (created if new).
  std::shared_ptr<limits::SlotPool> pool(const std::string& key_id, uint32_t limit);
  std::shared_ptr<limits::CircuitBreaker> breaker(const std::string& key_id,
                                                  const conf::CircuitBreakerConfig& config);
  // Called with every breaker, existing ones at once and new ones when created (cluster mode
  // shares them). Thread-safe.
  void setBreakerHook(std::function<void(const std::shared_ptr<limits::CircuitBreaker>&)> fn);
  // For scrapes: sets concurrency_slots_in_use and health_open_circuits.
  void refreshGauges();
  // Sum of slots held over all pools (shutdown and tests).
  uint64_t slotsInUse() const;

 private:
  class Observer;
  metrics::Metrics& metrics_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<limits::SlotPool>> pools_;
  std::unordered_map<std::string, std::unique_ptr<Observer>> observers_;  // stable addresses
  std::unordered_map<std::string, std::shared_ptr<limits::CircuitBreaker>> breakers_;
  std::unordered_map<std::string, prometheus::Gauge*> in_use_gauges_;
  std::function<void(const std::shared_ptr<limits::CircuitBreaker>&)> breaker_hook_;
};

class Runtime {
 public:
  Runtime(conf::ConfigPtr config, metrics::Metrics& metrics, KeyRegistry& keys);

  const conf::Config& config() const { return *config_; }
  const conf::ConfigPtr& configPtr() const { return config_; }
  alias::Resolver& resolver() const { return *resolver_; }
  metrics::RequestSeries& series() const { return *series_; }
  const std::shared_ptr<limits::SlotPool>& clientSlots(size_t client) const {
    return client_slots_[client];
  }
  const ProviderKeyState& providerKey(size_t provider, size_t key) const {
    return provider_keys_[provider][key];
  }

 private:
  conf::ConfigPtr config_;
  std::unique_ptr<metrics::RequestSeries> series_;
  std::unique_ptr<alias::Resolver> resolver_;
  std::vector<std::shared_ptr<limits::SlotPool>> client_slots_;
  std::vector<std::vector<ProviderKeyState>> provider_keys_;
};

using RuntimePtr = std::shared_ptr<const Runtime>;

// The current snapshot. Thread-safe: load() from any worker, store() on reload.
class RuntimeHolder {
 public:
  RuntimePtr load() const { return current_.load(std::memory_order_acquire); }
  void store(RuntimePtr runtime) { current_.store(std::move(runtime), std::memory_order_release); }

 private:
  std::atomic<RuntimePtr> current_;
};

}  // namespace slotgate::gateway
