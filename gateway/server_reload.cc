// Server: reloading the config file (SIGHUP, POST /admin/reload) and installing a new config
// snapshot; a reload that fails leaves the running snapshot serving.
#include <nlohmann/json.hpp>

#include "conf/address.h"
#include "conf/config_json.h"
#include "conf/loader.h"
#include "gateway/downstream/connection_manager.h"
#include "gateway/process_hygiene.h"
#include "gateway/restart_fields.h"
#include "gateway/server.h"
#include "metrics/log.h"

namespace slotgate::gateway {

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
  const auto running = context_.snapshot.load()->config().version;
  return {400, "application/json",
          R"({"status":"rejected","running_version":)" + std::to_string(running) +
              R"(,"errors":[)" + error + "]}"};
}

std::string Server::configJson() const {
  nlohmann::json out =
      nlohmann::json::parse(conf::configJson(context_.snapshot.load()->config()), nullptr, false);
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
    const auto running = context_.snapshot.load()->config().version;
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
  const auto version = context_.snapshot.load()->config().version;
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
  context_.snapshot.store(
      std::make_shared<const ConfigSnapshot>(std::move(versioned), metrics_, keys_));
  metrics_.configVersion().Set(static_cast<double>(next_version_ - 1));
}

}  // namespace slotgate::gateway
