#include "gateway/key_registry.h"

#include "metrics/log.h"
#include "metrics/request_series.h"

namespace slotgate::gateway {

// Records a key's slot releases into its metric series. Process-lifetime (a
// pool outlives config versions), so it keeps its own KeySeries rather than
// one of a RequestSeries.
class KeyRegistry::Observer : public limits::SlotObserver {
 public:
  Observer(metrics::Metrics& m, const std::string& key_id) {
    series_.key_id = key_id;
    for (int exception = 0; exception < 2; ++exception) {
      prometheus::Labels labels{{"key_id", key_id}, {"exception", exception ? "true" : "false"}};
      series_.slot_duration[exception] = &m.slotDuration().add(labels);
      series_.slot_release[exception] = &m.slotRelease().Add(labels);
    }
  }
  void onSlotReleased(std::chrono::duration<double> held, bool exception) override {
    series_.slotReleased(exception, std::chrono::duration_cast<std::chrono::nanoseconds>(held));
  }

 private:
  metrics::KeySeries series_;
};

KeyRegistry::KeyRegistry(metrics::Metrics& metrics) : metrics_(metrics) {}
KeyRegistry::~KeyRegistry() = default;

std::shared_ptr<limits::SlotPool> KeyRegistry::pool(const std::string& key_id, uint32_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pools_.find(key_id);
  prometheus::Gauge& limit_gauge = metrics_.slotsLimit().Add({{"key_id", key_id}});
  limit_gauge.Set(limit);
  if (it != pools_.end()) {
    it->second->setLimit(limit);
    return it->second;
  }
  auto observer = std::make_unique<Observer>(metrics_, key_id);
  // Coarse clock: slot hold times are histogrammed from 0.1 s up, so a tick
  // of precision is plenty, and it halves the cost of acquire+release.
  auto pool = limits::SlotPool::create(key_id, limit, observer.get(), limits::Clock::coarse());
  observers_.emplace(key_id, std::move(observer));
  in_use_gauges_.emplace(key_id, &metrics_.slotsInUse().Add({{"key_id", key_id}}));
  pools_.emplace(key_id, pool);
  return pool;
}

std::shared_ptr<limits::CircuitBreaker> KeyRegistry::breaker(
    const std::string& key_id, const conf::CircuitBreakerConfig& config) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = breakers_.find(key_id);
  if (it != breakers_.end()) {
    it->second->setConfig(config);
    return it->second;
  }
  auto breaker = limits::CircuitBreaker::create(key_id, config);
  breakers_.emplace(key_id, breaker);
  if (breaker_hook_) {
    breaker_hook_(breaker);
  }
  return breaker;
}

void KeyRegistry::setBreakerHook(
    std::function<void(const std::shared_ptr<limits::CircuitBreaker>&)> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  breaker_hook_ = std::move(fn);
  for (const auto& [key_id, breaker] : breakers_) {
    breaker_hook_(breaker);
  }
}

void KeyRegistry::refreshGauges() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [key_id, pool] : pools_) {
    in_use_gauges_[key_id]->Set(pool->inUse());
  }
  int open = 0;
  for (const auto& [key_id, breaker] : breakers_) {
    if (breaker->state() != limits::CircuitState::kClosed) {
      ++open;
    }
  }
  metrics_.openCircuits().Set(open);
}

uint64_t KeyRegistry::slotsInUse() const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t total = 0;
  for (const auto& [key_id, pool] : pools_) {
    total += pool->inUse();
  }
  return total;
}

}  // namespace slotgate::gateway
