// The operator plane on the admin listener (SPEC sections 6 and 7): live
// active requests (JSON and SSE), running totals, logs, history, the
// dashboard, slots, config and reload.
//
// registerOperatorRoutes() must run before AdminServer::start(): it adds the
// routes and, on the admin loop, the SSE poll/heartbeat timers and the 10 s
// history sampler. Their state is owned by the AdminServer (AdminServer::own).
// Thread-safety: the callbacks in OperatorDeps run on the admin thread and
// must be safe to call from it (they read shared state only).
#pragma once

#include <functional>
#include <string>

#include "gateway/admin/admin_server.h"
#include "metrics/history.h"
#include "metrics/live_request_tracker.h"

namespace slotgate::gateway {

struct OperatorDeps {
  metrics::LiveRequestTracker& tracker;
  // GET /admin/config: the running config as JSON, secrets redacted
  // (conf::configJson of the current snapshot).
  std::function<std::string()> config_json;
  // POST /admin/reload: 200 {"version":N} or 400 with every validation error.
  // Empty = the route is not registered here (the caller registers its own).
  std::function<AdminResponse()> reload;
  // Slots held and open circuits right now (history sampler, every 10 s).
  std::function<metrics::GaugeSnapshot()> gauges;
  // GET /admin/slots: JSON array of {key_id, kind ("provider"|"client"),
  // provider, in_use, limit (0 = unlimited), circuit ("closed"|"open"|"half_open",
  // provider keys only)}.
  std::function<std::string()> slots_json;
};

void registerOperatorRoutes(AdminServer& admin, OperatorDeps deps);

}  // namespace slotgate::gateway
