// Slot pools and breakers of provider keys and clients, by id, for the life of
// the process: a reload builds a new ConfigSnapshot from the same registry, so
// the counts of keys that survive it carry over.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "conf/config.h"
#include "limits/circuit_breaker.h"
#include "limits/slot_pool.h"
#include "metrics/metrics.h"

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

}  // namespace slotgate::gateway
