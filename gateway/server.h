// The whole gateway process: workers, admin listener, signals, drain.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "conf/config.h"
#include "gateway/admin/admin_server.h"
#include "gateway/config_snapshot.h"
#include "gateway/downstream/connection_budget.h"
#include "gateway/event/signal_event.h"
#include "gateway/event/timer.h"
#include "gateway/gateway_context.h"
#include "gateway/proxy/proxy_dispatcher.h"
#include "gateway/worker.h"
#include "limits/cluster/cluster_runtime.h"
#include "metrics/live_request_tracker.h"
#include "metrics/metrics.h"

namespace slotgate::gateway {

class Server {
 public:
  explicit Server(conf::ConfigPtr config);
  ~Server();

  // Listens, serves until SIGTERM/SIGINT, drains, returns the exit code.
  int run();

 private:
  void installRuntime(conf::ConfigPtr config);
  void installRuntimeLocked(conf::ConfigPtr config);
  // server.max_connections of `config` (or the derived default) into the budget and its gauge.
  void applyConnectionLimit(const conf::Config& config);
  // Reloads the config file (SIGHUP, POST /admin/reload). Thread-safe.
  AdminResponse reload();
  // 400 for a reload refused after the file loaded (one error at `path`); nothing changed.
  AdminResponse rejectReload(const std::string& path, const std::string& message);
  // /admin/config: the running snapshot plus `pending_restart`.
  std::string configJson() const;
  void registerAdminRoutes();
  AdminResponse readiness() const;
  std::string slotsJson() const;
  metrics::GaugeSnapshot gauges() const;
  void beginDrain();
  // Stops the workers' loops, then cluster mode (whose objects live on those loops' bases),
  // then frees the workers.
  void stopWorkers();
  // SIGHUP reloads; SIGTERM and SIGINT drain.
  void onSignal(int sig);
  void onDrainTick();

  conf::ConfigPtr initial_;
  metrics::Metrics metrics_;
  metrics::LiveRequestTracker tracker_;  // before context_: requests point at it
  KeyRegistry keys_;
  GatewayContext context_;
  ConnectionBudget connection_budget_{0};  // limit set from the config in the constructor
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<ProxyDispatcher>> dispatchers_;
  std::unique_ptr<AdminServer> admin_;
  std::unique_ptr<ClusterRuntime> cluster_;  // cluster mode; lives on the workers' loops
  EventBasePtr control_base_;
  std::vector<SignalEventPtr> signal_events_;
  TimerPtr drain_timer_;
  TimerPtr libevent_log_timer_;  // every second: libevent's filed diagnostics go out
  std::chrono::steady_clock::time_point drain_deadline_{};
  std::mutex reload_mu_;  // one reload at a time; guards next_version_
  uint64_t next_version_ = 1;
  mutable std::mutex pending_mu_;             // guards pending_restart_ (read by /admin/config)
  std::vector<std::string> pending_restart_;  // restart-only fields the file has changed
};

}  // namespace slotgate::gateway
