#include "gateway/server.h"

#include <event2/thread.h>

#include <csignal>

#include "conf/address.h"
#include "gateway/downstream/connection_manager.h"
#include "gateway/libevent_log.h"
#include "gateway/process_hygiene.h"
#include "gateway/service_notify.h"
#include "gateway/upstream/upstream_pool.h"
#include "metrics/log.h"

namespace slotgate::gateway {
namespace {

std::string hostPort(const std::string& host, uint16_t port) {
  return host.find(':') != std::string::npos ? "[" + host + "]:" + std::to_string(port)
                                             : host + ":" + std::to_string(port);
}

// How often the control loop sends libevent's filed diagnostics out, and looks whether a
// drain is done.
constexpr std::chrono::seconds kLibeventLogTick{1};
constexpr std::chrono::milliseconds kDrainTick{20};

}  // namespace

Server::Server(conf::ConfigPtr config)
    : initial_(std::move(config)), keys_(metrics_), context_(metrics_, keys_) {
  applyCoreDumpSetting(initial_->server.core_dumps);
  context_.tracker = &tracker_;
  metrics_.addRefresher([this] { keys_.refreshGauges(); });
  metrics_.addRefresher(
      [this] { metrics_.connectionsOpen().Set(static_cast<double>(connection_budget_.open())); });
  installRuntime(initial_);
}

Server::~Server() {
  if (admin_) {
    admin_->stop();
  }
  stopWorkers();
}

void Server::stopWorkers() {
  // Not while a reload (on the admin thread) posts to the workers.
  std::lock_guard<std::mutex> lock(reload_mu_);
  for (auto& w : workers_) {
    w->stopAndJoin();
  }
  if (cluster_) {
    cluster_->stop();
    context_.cluster = nullptr;
    cluster_.reset();  // before the event bases it uses go with the workers
  }
  workers_.clear();
}

int Server::run() {
  const conf::Config& config = *initial_;
  const uint32_t n = config.effectiveWorkers();
  const Http1Limits limits = http1LimitsFromConfig(config.server);

  if (config.redis) {
    cluster_ = std::make_unique<ClusterRuntime>(*config.redis, metrics_);
    context_.cluster = cluster_.get();
    ClusterRuntime* cluster = cluster_.get();
    keys_.setBreakerHook(
        [cluster](const limits::CircuitBreakerPtr& b) { cluster->attachBreaker(b); });
  }
  std::string tls_error;
  const auto downstream = DownstreamOptions::fromConfig(config.server, &tls_error);
  if (!downstream) {
    metrics::LogLine(metrics::LogLevel::kError, "tls_config_failed").str("error", tls_error).emit();
    return 1;
  }
  uint16_t port = config.server.listen.port;
  for (uint32_t i = 0; i < n; ++i) {
    auto worker = std::make_unique<Worker>(i);
    auto dispatcher = std::make_unique<ProxyDispatcher>(context_, *worker, worker->upstream());
    auto manager = std::make_unique<ConnectionManager>(*worker, *dispatcher, *dispatcher,
                                                       connection_budget_, limits, *downstream);
    std::string error;
    // The first worker may bind port 0; the others share the port it got.
    const uint16_t bound = manager->listen(config.server.listen.host, port, &error);
    if (bound == 0) {
      metrics::LogLine(metrics::LogLevel::kError, "listen_failed").str("error", error).emit();
      return 1;
    }
    port = bound;
    worker->setConnectionManager(std::move(manager));
    if (cluster_) {
      cluster_->addWorker(*worker);
    }
    workers_.push_back(std::move(worker));
    dispatchers_.push_back(std::move(dispatcher));
  }

  admin_ = std::make_unique<AdminServer>(config.admin.token);
  registerAdminRoutes();
  std::string error;
  const uint16_t admin_port =
      admin_->start(config.admin.listen.host, config.admin.listen.port, &error);
  if (admin_port == 0) {
    metrics::LogLine(metrics::LogLevel::kError, "listen_failed").str("error", error).emit();
    return 1;
  }
  if (cluster_) {
    cluster_->start();
  }
  for (auto& w : workers_) {
    w->start();
  }

  control_base_.reset(event_base_new());
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
    signal_events_.push_back(
        std::make_unique<SignalEvent>(control_base_.get(), sig, [this, sig] { onSignal(sig); }));
  }
  libevent_log_timer_ = std::make_unique<Timer>(control_base_.get(), [this] {
    flushLibeventLogs();
    libevent_log_timer_->enable(kLibeventLogTick);
  });
  libevent_log_timer_->enable(kLibeventLogTick);
  metrics::LogLine(metrics::LogLevel::kInfo, "started")
      .str("listen", hostPort(config.server.listen.host, port))
      .str("admin", hostPort(config.admin.listen.host, admin_port))
      .num("workers", n)
      .num("max_connections", connection_budget_.limit())
      .num("config_version", context_.snapshot.load()->config().version)
      .str("config", config.source_path)
      .emit();
  notifyReady();
  event_base_dispatch(control_base_.get());

  // Drained (or out of time): give back every cluster lease still held (waiting up to 1 s for
  // Redis), then stop the loops; destroying workers releases every local slot still held by an
  // unfinished request.
  if (cluster_) {
    cluster_->releaseAll(std::chrono::seconds(1));
  }
  stopWorkers();
  admin_->stop();
  flushLibeventLogs();
  metrics::LogLine(metrics::LogLevel::kInfo, "stopped")
      .num("slots_in_use", keys_.slotsInUse())
      .emit();
  return 0;
}

void Server::onSignal(int sig) {
  if (sig == SIGHUP) {
    notifyReloading();
    reload();
    notifyReady();  // also after a refused reload: the old config keeps serving
    return;
  }
  beginDrain();
}

void Server::beginDrain() {
  if (context_.draining.exchange(true)) {
    return;
  }
  notifyStopping();
  metrics::LogLine(metrics::LogLevel::kInfo, "draining")
      .num("active_requests", context_.active_requests.load())
      .emit();
  for (auto& w : workers_) {
    Worker* worker = w.get();
    worker->post([worker] { worker->connections()->drain(); });
  }
  // The running snapshot's: drain_timeout changes on reload.
  drain_deadline_ =
      std::chrono::steady_clock::now() + context_.snapshot.load()->config().server.drain_timeout;
  drain_timer_ = std::make_unique<Timer>(control_base_.get(), [this] { onDrainTick(); });
  drain_timer_->enable(kDrainTick);
}

void Server::onDrainTick() {
  drain_timer_->enable(kDrainTick);
  const bool idle = context_.active_requests.load() == 0;
  if (idle || std::chrono::steady_clock::now() >= drain_deadline_) {
    if (!idle) {
      metrics::LogLine(metrics::LogLevel::kWarn, "drain_timeout")
          .num("active_requests", context_.active_requests.load())
          .emit();
    }
    event_base_loopbreak(control_base_.get());
  }
}

}  // namespace slotgate::gateway
