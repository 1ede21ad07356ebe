#include "gateway/server.h"

#include <event2/thread.h>

#include <csignal>
#include <nlohmann/json.hpp>

#include "conf/address.h"
#include "conf/config_json.h"
#include "conf/loader.h"
#include "gateway/admin/operator_routes.h"
#include "gateway/downstream/connection_manager.h"
#include "gateway/libevent_log.h"
#include "gateway/process_hygiene.h"
#include "gateway/restart_fields.h"
#include "gateway/service_notify.h"
#include "gateway/upstream/upstream_pool.h"
#include "metrics/log.h"

namespace slotgate::gateway {
namespace {

std::string hostPort(const std::string& host, uint16_t port) {
  return host.find(':') != std::string::npos ? "[" + host + "]:" + std::to_string(port)
                                             : host + ":" + std::to_string(port);
}

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

AdminResponse Server::rejectReload(const std::string& path, const std::string& message) {
  metrics_.configReloads().Add({{"result", "failure"}}).Increment();
  metrics::LogLine(metrics::LogLevel::kWarn, "reload_rejected")
      .str("path", path)
      .str("message", message)
      .emit();
  std::string error = R"({"path":")";
  metrics::appendJsonEscaped(error, path);
  error += R"(","message":")";
  metrics::appendJsonEscaped(error, message);
  error += "\"}";
  const auto running = context_.runtime.load()->config().version;
  return {400, "application/json",
          R"({"status":"rejected","running_version":)" + std::to_string(running) +
              R"(,"errors":[)" + error + "]}"};
}

std::string Server::configJson() const {
  nlohmann::json out =
      nlohmann::json::parse(conf::configJson(context_.runtime.load()->config()), nullptr, false);
  nlohmann::json pending = nlohmann::json::array();
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    for (const auto& path : pending_restart_) {
      pending.push_back(path);
    }
  }
  // Values of these fields above are the file's; the process still runs the ones it
  // started with until a restart.
  out["pending_restart"] = std::move(pending);
  return out.dump();
}

AdminResponse Server::reload() {
  std::lock_guard<std::mutex> lock(reload_mu_);
  auto loaded = conf::loadConfigFile(initial_->source_path);
  if (!loaded.ok()) {
    metrics_.configReloads().Add({{"result", "failure"}}).Increment();
    std::string errors;
    for (const auto& e : loaded.errors) {
      metrics::LogLine(metrics::LogLevel::kWarn, "reload_rejected")
          .str("path", e.path)
          .str("message", e.message)
          .emit();
      errors += errors.empty() ? "" : ",";
      errors += R"({"path":")";
      metrics::appendJsonEscaped(errors, e.path);
      errors += R"(","message":")";
      metrics::appendJsonEscaped(errors, e.message);
      errors += "\"}";
    }
    const auto running = context_.runtime.load()->config().version;
    return {400, "application/json",
            R"({"status":"rejected","running_version":)" + std::to_string(running) +
                R"(,"errors":[)" + errors + "]}"};
  }
  const conf::Config& after = *loaded.config;
  // What the reload applies beyond the snapshot must be ready before anything changes, so a
  // certificate that cannot be loaded rejects the whole reload.
  std::string tls_error;
  auto downstream = DownstreamOptions::fromConfig(after.server, &tls_error);
  if (!downstream) {
    return rejectReload("server.tls", tls_error);
  }
  // The admin listener keeps its start address until a restart: it may drop its token only
  // if that address is loopback (the loader checked the new address, not the running one).
  if (after.admin.token.empty() && !conf::isLoopbackHost(initial_->admin.listen.host)) {
    return rejectReload("admin.token_env",
                        "required while the running admin listener is not a loopback address "
                        "(admin.listen changes at the next restart)");
  }
  // Listeners, worker threads and Redis connections are fixed at start; say so rather than
  // pretending the new values took effect.
  std::vector<std::string> pending = fieldsNeedingRestart(*initial_, after);
  std::string warnings;
  for (const auto& path : pending) {
    warnings += warnings.empty() ? "\"" : ",\"";
    warnings += path + " changed; it takes effect at the next restart\"";
  }
  const Http1Limits limits = http1LimitsFromConfig(after.server);
  for (auto& w : workers_) {
    Worker* worker = w.get();
    worker->post([worker, limits, options = *downstream] {
      worker->connections()->reconfigure(limits, options);
    });
  }
  admin_->setToken(after.admin.token);
  applyCoreDumpSetting(after.server.core_dumps);
  {
    std::lock_guard<std::mutex> pending_lock(pending_mu_);
    pending_restart_ = std::move(pending);
  }
  installRuntimeLocked(loaded.config);
  metrics_.configReloads().Add({{"result", "success"}}).Increment();
  const auto version = context_.runtime.load()->config().version;
  metrics::LogLine(metrics::LogLevel::kInfo, "reloaded").num("config_version", version).emit();
  return {200, "application/json",
          R"({"status":"ok","version":)" + std::to_string(version) + R"(,"warnings":[)" + warnings +
              "]}"};
}

void Server::installRuntime(conf::ConfigPtr config) {
  std::lock_guard<std::mutex> lock(reload_mu_);
  installRuntimeLocked(std::move(config));
}

void Server::applyConnectionLimit(const conf::Config& config) {
  // Workers are fixed at start: the reserve is computed for the running count.
  const size_t limit =
      ConnectionBudget::resolve(config.server.max_connections, initial_->effectiveWorkers());
  connection_budget_.setLimit(limit);
  metrics_.maxConnections().Set(static_cast<double>(limit));
}

void Server::installRuntimeLocked(conf::ConfigPtr config) {
  applyConnectionLimit(*config);
  auto versioned = std::make_shared<conf::Config>(*config);
  versioned->version = next_version_++;
  context_.runtime.store(std::make_shared<const Runtime>(std::move(versioned), metrics_, keys_));
  metrics_.configVersion().Set(static_cast<double>(next_version_ - 1));
}

AdminResponse Server::readiness() const {
  if (context_.draining.load()) {
    return {503, "application/json", R"({"status":"draining","reasons":["draining"]})"};
  }
  RuntimePtr rt = context_.runtime.load();
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
  RuntimePtr rt = context_.runtime.load();
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
  RuntimePtr rt = context_.runtime.load();
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
    signal_events_.emplace_back(evsignal_new(control_base_.get(), sig, &Server::onSignal, this));
    evsignal_add(signal_events_.back().get(), nullptr);
  }
  libevent_log_timer_.reset(
      event_new(control_base_.get(), -1, EV_PERSIST, &Server::onLibeventLogTick, this));
  const timeval log_tick{1, 0};
  event_add(libevent_log_timer_.get(), &log_tick);
  metrics::LogLine(metrics::LogLevel::kInfo, "started")
      .str("listen", hostPort(config.server.listen.host, port))
      .str("admin", hostPort(config.admin.listen.host, admin_port))
      .num("workers", n)
      .num("max_connections", connection_budget_.limit())
      .num("config_version", context_.runtime.load()->config().version)
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

void Server::onSignal(evutil_socket_t sig, short, void* arg) {
  auto* self = static_cast<Server*>(arg);
  if (sig == SIGHUP) {
    notifyReloading();
    self->reload();
    notifyReady();  // also after a refused reload: the old config keeps serving
    return;
  }
  self->beginDrain();
}

void Server::onLibeventLogTick(evutil_socket_t, short, void*) { flushLibeventLogs(); }

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
      std::chrono::steady_clock::now() + context_.runtime.load()->config().server.drain_timeout;
  drain_timer_.reset(event_new(control_base_.get(), -1, EV_PERSIST, &Server::onDrainTick, this));
  timeval tick{0, 20000};
  event_add(drain_timer_.get(), &tick);
}

void Server::onDrainTick(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Server*>(arg);
  const bool idle = self->context_.active_requests.load() == 0;
  if (idle || std::chrono::steady_clock::now() >= self->drain_deadline_) {
    if (!idle) {
      metrics::LogLine(metrics::LogLevel::kWarn, "drain_timeout")
          .num("active_requests", self->context_.active_requests.load())
          .emit();
    }
    event_base_loopbreak(self->control_base_.get());
  }
}

}  // namespace slotgate::gateway
