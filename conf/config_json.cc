#include "conf/config_json.h"

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace slotgate::conf {
namespace {

using Json = nlohmann::ordered_json;

std::string durationText(Duration d) { return std::to_string(d.count()) + "ms"; }

std::string isoTime(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

std::string hostPort(const HostPort& hp) {
  const bool v6 = hp.host.find(':') != std::string::npos;
  return (v6 ? "[" + hp.host + "]" : hp.host) + ":" + std::to_string(hp.port);
}

Json serverJson(const ServerConfig& s) {
  Json j;
  j["listen"] = hostPort(s.listen);
  j["workers"] = s.workers;
  j["effective_workers"] = nullptr;  // filled by the caller (needs Config)
  j["tls"] = s.tls ? Json{{"cert", s.tls->cert}, {"key", s.tls->key}} : Json(nullptr);
  j["max_request_body"] = s.max_request_body;
  j["max_header_bytes"] = s.max_header_bytes;
  j["header_timeout"] = durationText(s.header_timeout);
  j["body_timeout"] = durationText(s.body_timeout);
  j["idle_timeout"] = durationText(s.idle_timeout);
  j["drain_timeout"] = durationText(s.drain_timeout);
  j["max_connections"] = s.max_connections;
  j["http2"] = {{"max_concurrent_streams", s.http2.max_concurrent_streams}};
  j["core_dumps"] = s.core_dumps;
  return j;
}

Json providerJson(const Provider& p) {
  Json j;
  j["name"] = p.name;
  j["type"] = p.type == ProviderType::kAnthropic ? "anthropic" : "openai";
  j["base_url"] = redactUrlPassword(p.base_url);
  j["connect_timeout"] = durationText(p.connect_timeout);
  j["request_timeout"] = durationText(p.request_timeout);
  j["idle_timeout"] = durationText(p.idle_timeout);
  Json keys = Json::array();
  for (const ProviderKey& k : p.keys) {
    // The secret itself is never copied into the output; only whether it was set.
    keys.push_back({{"id", k.id},
                    {"secret_env", k.secret_env},
                    {"secret_set", !k.secret.empty()},
                    {"max_concurrency", k.max_concurrency}});
  }
  j["keys"] = std::move(keys);
  j["circuit_breaker"] = {{"failure_threshold", p.circuit_breaker.failure_threshold},
                          {"open_duration", durationText(p.circuit_breaker.open_duration)},
                          {"half_open_requests", p.circuit_breaker.half_open_requests}};
  j["inject_stream_usage"] = p.inject_stream_usage;
  return j;
}

Json modelJson(const Model& m) {
  Json targets = Json::array();
  for (const Target& t : m.targets) {
    targets.push_back({{"provider", t.provider}, {"model", t.model}});
  }
  return {{"name", m.name},
          {"aliases", m.aliases},
          {"patterns", m.patterns},
          {"targets", std::move(targets)}};
}

Json clientJson(const Client& c) {
  Json j;
  j["id"] = c.id;
  // key_sha256 is not the key, but it identifies it and lets an attacker test
  // guesses offline: left out like the secrets.
  j["key_source"] = c.key_env.empty() ? "key_sha256" : "key_env";
  j["key_env"] = c.key_env.empty() ? Json(nullptr) : Json(c.key_env);
  j["max_concurrency"] = c.max_concurrency;
  j["queue"] = c.queue ? Json{{"max_waiting", c.queue->max_waiting},
                              {"timeout", durationText(c.queue->timeout)}}
                       : Json(nullptr);
  j["models"] = c.models;
  return j;
}

}  // namespace

std::string redactUrlPassword(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) {
    return url;
  }
  const size_t authority = scheme + 3;
  const size_t end = url.find_first_of("/?#", authority);
  const size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
  if (at == std::string::npos || at < authority) {
    return url;
  }
  const size_t colon = url.find(':', authority);
  if (colon == std::string::npos || colon > at) {
    return url;  // user without password: nothing secret
  }
  return url.substr(0, colon + 1) + "REDACTED" + url.substr(at);
}

std::string configJson(const Config& config) {
  Json j;
  j["version"] = config.version;
  j["loaded_at"] = isoTime(config.loaded_at);
  j["source_path"] = config.source_path;
  Json server = serverJson(config.server);
  server["effective_workers"] = config.effectiveWorkers();
  j["server"] = std::move(server);
  j["admin"] = {{"listen", hostPort(config.admin.listen)},
                {"token_env", config.admin.token_env},
                {"token_set", !config.admin.token.empty()}};
  if (config.redis) {
    const RedisConfig& r = *config.redis;
    j["redis"] = {
        {"url", redactUrlPassword(r.url)},
        {"prefix", r.prefix},
        {"lease_ttl", durationText(r.lease_ttl)},
        {"on_unavailable", r.on_unavailable == OnUnavailable::kReject ? "reject" : "local"}};
  } else {
    j["redis"] = nullptr;
  }
  j["providers"] = Json::array();
  for (const Provider& p : config.providers) {
    j["providers"].push_back(providerJson(p));
  }
  j["models"] = Json::array();
  for (const Model& m : config.models) {
    j["models"].push_back(modelJson(m));
  }
  j["clients"] = Json::array();
  for (const Client& c : config.clients) {
    j["clients"].push_back(clientJson(c));
  }
  j["routing"] = {{"retries", config.routing.retries}};
  j["strict_aliases"] = config.strict_aliases;
  Json conflicts = Json::array();
  for (const AliasConflict& c : config.load_conflicts) {
    conflicts.push_back({{"name", c.name}, {"winner", c.winner}, {"other", c.other}});
  }
  j["alias_conflicts"] = std::move(conflicts);
  // dump() replaces invalid UTF-8 instead of throwing: config text is operator input.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace slotgate::conf
