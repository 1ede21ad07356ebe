#include "gateway/config_snapshot.h"

#include "metrics/log.h"

namespace slotgate::gateway {

ConfigSnapshot::ConfigSnapshot(conf::ConfigPtr config, metrics::Metrics& metrics, KeyRegistry& keys)
    : config_(std::move(config)) {
  series_ = std::make_unique<metrics::RequestSeries>(metrics, *config_);
  prometheus::Counter* conflicts = &metrics.aliasConflicts();
  resolver_ = std::make_unique<alias::Resolver>(
      *config_,
      [conflicts](std::string_view name, std::string_view winner, std::string_view other) {
        conflicts->Increment();
        metrics::LogLine(metrics::LogLevel::kWarn, "alias_conflict")
            .str("name", name)
            .str("winner", winner)
            .str("other", other)
            .emit();
      });
  for (const auto& client : config_->clients) {
    client_slots_.push_back(keys.pool(client.id, client.max_concurrency));
  }
  for (const auto& provider : config_->providers) {
    std::vector<ProviderKeyState> states;
    for (const auto& key : provider.keys) {
      states.push_back(
          {keys.pool(key.id, key.max_concurrency), keys.breaker(key.id, provider.circuit_breaker)});
    }
    provider_keys_.push_back(std::move(states));
  }
}

}  // namespace slotgate::gateway
