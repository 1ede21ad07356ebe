// What a request needs of the running config, as one immutable snapshot:
// the config, its resolver, its pre-resolved metric series, and the slot pools
// and breakers of its keys. A request keeps the snapshot it started with; a
// reload installs a new one (SPEC section 7).
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "alias/resolver.h"
#include "conf/config.h"
#include "gateway/key_registry.h"
#include "metrics/metrics.h"
#include "metrics/request_series.h"

namespace slotgate::gateway {

class ConfigSnapshot {
 public:
  ConfigSnapshot(conf::ConfigPtr config, metrics::Metrics& metrics, KeyRegistry& keys);

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

using ConfigSnapshotPtr = std::shared_ptr<const ConfigSnapshot>;

// The current snapshot. Thread-safe: load() from any worker, store() on reload.
class ConfigSnapshotHolder {
 public:
  ConfigSnapshotPtr load() const { return current_.load(std::memory_order_acquire); }
  void store(ConfigSnapshotPtr snapshot) {
    current_.store(std::move(snapshot), std::memory_order_release);
  }

 private:
  std::atomic<ConfigSnapshotPtr> current_;
};

}  // namespace slotgate::gateway
