// Server: what the admin plane shows of the running gateway (readiness, slot and gauge
// views) and the routes that serve them.
#include <nlohmann/json.hpp>

#include "gateway/admin/operator_routes.h"
#include "gateway/server.h"

namespace slotgate::gateway {

AdminResponse Server::readiness() const {
  if (context_.draining.load()) {
    return {503, "application/json", R"({"status":"draining","reasons":["draining"]})"};
  }
  ConfigSnapshotPtr rt = context_.snapshot.load();
  const conf::Config& config = rt->config();
  std::string reasons;
  if (cluster_) {
    const std::string why = cluster_->readinessReason();
    if (!why.empty() && cluster_->rejectWhenUnavailable()) {
      return {503, "application/json", R"({"status":"unavailable","reasons":[")" + why + "\"]}"};
    }
    if (!why.empty()) {
      reasons = "\"" + why + "\"";
    }
  }
  for (const auto& model : config.models) {
    bool any_closed = false;
    for (const auto& t : model.targets) {
      for (size_t k = 0; k < config.providers[t.provider_index].keys.size(); ++k) {
        any_closed |=
            rt->providerKey(t.provider_index, k).breaker->state() == limits::CircuitState::kClosed;
      }
    }
    if (!any_closed) {
      reasons += reasons.empty() ? "" : ",";
      reasons += "\"model " + model.name + " has no closed circuit\"";
    }
  }
  if (reasons.empty()) {
    return {200, "application/json", R"({"status":"ok"})"};
  }
  return {200, "application/json", R"({"status":"degraded","reasons":[)" + reasons + "]}"};
}

void Server::registerAdminRoutes() {
  admin_->route("GET", "/metrics", true, [this](const AdminRequest&) {
    return AdminResponse{200, "text/plain; version=0.0.4; charset=utf-8", metrics_.serialize()};
  });
  admin_->route("GET", "/healthz", true, [](const AdminRequest&) {
    return AdminResponse{200, "application/json", R"({"status":"ok"})"};
  });
  admin_->route("GET", "/readyz", true, [this](const AdminRequest&) { return readiness(); });
  admin_->route("GET", "/metrics/json", false, [this](const AdminRequest&) {
    return AdminResponse{200, "application/json", metrics_.serializeJson()};
  });
  registerOperatorRoutes(*admin_, OperatorDeps{
                                      .tracker = tracker_,
                                      .config_json = [this] { return configJson(); },
                                      .reload = [this] { return reload(); },
                                      .gauges = [this] { return gauges(); },
                                      .slots_json = [this] { return slotsJson(); },
                                  });
}

metrics::GaugeSnapshot Server::gauges() const {
  ConfigSnapshotPtr rt = context_.snapshot.load();
  const conf::Config& config = rt->config();
  metrics::GaugeSnapshot g;
  for (size_t p = 0; p < config.providers.size(); ++p) {
    for (size_t k = 0; k < config.providers[p].keys.size(); ++k) {
      const ProviderKeyState& key = rt->providerKey(p, k);
      g.slots_in_use += key.slots->inUse();
      g.open_circuits += key.breaker->state() != limits::CircuitState::kClosed ? 1 : 0;
    }
  }
  for (size_t c = 0; c < config.clients.size(); ++c) {
    g.slots_in_use += rt->clientSlots(c)->inUse();
  }
  return g;
}

std::string Server::slotsJson() const {
  ConfigSnapshotPtr rt = context_.snapshot.load();
  const conf::Config& config = rt->config();
  nlohmann::json out = nlohmann::json::array();
  for (size_t p = 0; p < config.providers.size(); ++p) {
    for (size_t k = 0; k < config.providers[p].keys.size(); ++k) {
      const ProviderKeyState& key = rt->providerKey(p, k);
      out.push_back({{"key_id", config.providers[p].keys[k].id},
                     {"kind", "provider"},
                     {"provider", config.providers[p].name},
                     {"in_use", key.slots->inUse()},
                     {"limit", key.slots->limit()},
                     {"circuit", std::string(limits::circuitStateName(key.breaker->state()))}});
    }
  }
  for (size_t c = 0; c < config.clients.size(); ++c) {
    out.push_back({{"key_id", config.clients[c].id},
                   {"kind", "client"},
                   {"in_use", rt->clientSlots(c)->inUse()},
                   {"limit", rt->clientSlots(c)->limit()}});
  }
  return out.dump();
}

}  // namespace slotgate::gateway
