// The immutable configuration snapshot (SPEC section 2).
//
// Built and validated once by conf::loadConfig*(), then shared read-only by
// every worker as ConfigPtr. Nothing here changes after load; a reload builds
// a new Config. Thread-safety: immutable, so safe to read from any thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace re2 {
class RE2;
}

namespace slotgate::conf {

using Duration = std::chrono::milliseconds;

// host:port as written in a `listen` value. host is an IPv4/IPv6 literal or a name.
struct HostPort {
  std::string host;
  uint16_t port = 0;
};

struct TlsConfig {
  std::string cert;  // PEM file paths
  std::string key;
};

struct Http2Config {
  uint32_t max_concurrent_streams = 128;
};

struct ServerConfig {
  HostPort listen{"127.0.0.1", 8080};
  uint32_t workers = 0;  // 0 = one per CPU (resolve with effectiveWorkers())
  std::optional<TlsConfig> tls;
  uint64_t max_request_body = 10ull << 20;
  uint64_t max_header_bytes = 64ull << 10;
  Duration header_timeout = std::chrono::seconds(10);
  Duration body_timeout = std::chrono::seconds(30);  // end of the head to the last body byte
  Duration idle_timeout = std::chrono::seconds(60);
  Duration drain_timeout = std::chrono::seconds(30);
  uint32_t max_connections =
      0;  // 0 = derived from RLIMIT_NOFILE (gateway/downstream/connection_budget.h)
  Http2Config http2;
  // Off by default: a core file holds provider keys and tokens (gateway/process_hygiene.h).
  bool core_dumps = false;
};

struct AdminConfig {
  HostPort listen{"127.0.0.1", 9901};
  std::string token_env;  // name of the env var; empty = no token
  std::string token;      // the token's value, read from token_env at load. SECRET.
};

enum class OnUnavailable { kLocal, kReject };

struct RedisConfig {
  std::string url = "redis://127.0.0.1:6379/0";
  std::string host = "127.0.0.1";  // parsed from url
  uint16_t port = 6379;
  int db = 0;
  std::string prefix = "slotgate:";
  Duration lease_ttl = std::chrono::seconds(30);
  OnUnavailable on_unavailable = OnUnavailable::kLocal;
};

enum class ProviderType { kOpenAI, kAnthropic };

struct ProviderKey {
  std::string id;                // key_id label; unique across providers and clients
  std::string secret_env;        // env var name
  std::string secret;            // value read from secret_env at load. SECRET.
  uint32_t max_concurrency = 0;  // 0 = unlimited
};

struct CircuitBreakerConfig {
  uint32_t failure_threshold = 5;
  Duration open_duration = std::chrono::seconds(30);
  uint32_t half_open_requests = 1;
};

// base_url split into its parts at load.
struct UpstreamUrl {
  bool tls = false;         // https
  std::string host;         // name or literal, no brackets
  uint16_t port = 0;        // explicit or 80/443
  std::string path_prefix;  // "" or "/something" without trailing slash
  std::string host_header;  // "host" or "host:port" when the port is not the default
};

struct Provider {
  std::string name;  // unique
  ProviderType type = ProviderType::kOpenAI;
  std::string base_url;
  UpstreamUrl url;
  Duration connect_timeout = std::chrono::seconds(5);
  Duration request_timeout = std::chrono::seconds(600);
  // Pooled connections idle longer are closed, not reused. Below the 5 s keep-alive of
  // Node.js and uvicorn servers (undici's client default is the same 4 s), so slotgate
  // closes an idle connection before the server can close it under a request.
  Duration idle_timeout = std::chrono::seconds(4);
  std::vector<ProviderKey> keys;  // at least one
  CircuitBreakerConfig circuit_breaker;
  // type openai: a stream on /v1/chat/completions or /v1/completions that does not ask for
  // usage gets stream_options.include_usage set upstream, and the usage-only chunk removed
  // from what the client receives (gateway/proxy/stream_options.h). Off for APIs that reject
  // stream_options. Always false for type anthropic.
  bool inject_stream_usage = true;
};

struct Target {
  std::string provider;       // provider name as written
  std::string model;          // provider model name (the `version` label)
  size_t provider_index = 0;  // index into Config::providers, resolved at load
};

struct Model {
  std::string name;  // global model name; unique
  std::vector<std::string> aliases;
  std::vector<std::string> patterns;                      // as written
  std::vector<std::shared_ptr<const re2::RE2>> compiled;  // same order as patterns; full match
  std::vector<Target> targets;                            // at least one
};

struct QueueConfig {
  uint32_t max_waiting = 0;
  Duration timeout = std::chrono::seconds(0);
};

using Sha256 = std::array<uint8_t, 32>;

struct Client {
  std::string id;                    // tenant; unique across clients and key ids
  std::string key_env;               // env var name, or empty when key_sha256 is used
  Sha256 key_digest{};               // SHA-256 of the key (from env value, or key_sha256 hex). Not
                                     // secret-equivalent but never printed.
  uint32_t max_concurrency = 0;      // 0 = unlimited
  std::optional<QueueConfig> queue;  // absent or max_waiting 0 = refuse at once
  std::vector<std::string> models{"*"};  // globs over global model names
};

struct RoutingConfig {
  uint32_t retries = 1;
};

// A name claimed by two or more global models, found at load. The first model
// (config order) wins.
struct AliasConflict {
  std::string name;
  std::string winner;  // model name
  std::string other;   // model name
};

struct Config {
  ServerConfig server;
  AdminConfig admin;
  std::optional<RedisConfig> redis;
  std::vector<Provider> providers;
  std::vector<Model> models;
  std::vector<Client> clients;
  RoutingConfig routing;
  bool strict_aliases = false;
  std::vector<AliasConflict> load_conflicts;  // empty when strict_aliases (they are errors then)

  // Set by the loader.
  std::string source_path;
  uint64_t version = 0;  // set by whoever installs the snapshot (1, 2, ... per reload)
  std::chrono::system_clock::time_point loaded_at{};

  uint32_t effectiveWorkers() const;
  const Provider* findProvider(const std::string& name) const;
};

using ConfigPtr = std::shared_ptr<const Config>;

}  // namespace slotgate::conf
