// Process-wide state every request reaches: the current config snapshot,
// metrics, key registry and drain state. Thread-safe members only.
#pragma once

#include <atomic>
#include <cstdint>

#include "gateway/config_snapshot.h"
#include "metrics/metrics.h"
#include "metrics/request_tracker.h"

namespace slotgate::gateway {

class ClusterRuntime;

struct GatewayContext {
  GatewayContext(metrics::Metrics& m, KeyRegistry& k) : metrics(m), keys(k) {}
  metrics::Metrics& metrics;
  KeyRegistry& keys;
  ConfigSnapshotHolder snapshot;
  std::atomic<bool> draining{false};
  std::atomic<int64_t> active_requests{0};     // dispatched and not yet finished
  metrics::RequestTracker* tracker = nullptr;  // the live view (admin); null = none
  ClusterRuntime* cluster = nullptr;           // cluster mode (config has `redis`); else null
};

}  // namespace slotgate::gateway
