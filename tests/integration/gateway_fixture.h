// Shared fixture for the gateway integration tests: builds a slotgate YAML config (providers
// pointing at mock providers, models, clients, limits), starts the real slotgate binary on
// 127.0.0.1:0 (data and admin), reads the bound ports from its "started" log line, and offers
// request helpers plus a strict Prometheus text checker.
//
// Thread-safety: a GatewayConfig is a plain value. A Gateway may be used from several threads
// for requests (chat/stream/metrics are const and each opens its own connection); start/stop
// and process access belong to the thread that owns it.
#pragma once

#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"

namespace slotgate::testing {

struct KeySpec {
  std::string id;
  std::string secret;  // put into an env var; never written to the config file
  int maxConcurrency = 0;
};

struct BreakerSpec {
  int failureThreshold = 5;
  std::string openDuration = "30s";
  int halfOpenRequests = 1;
};

struct ProviderSpec {
  std::string name;
  std::string type = "openai";  // openai | anthropic
  std::string baseUrl;
  std::vector<KeySpec> keys;
  std::string connectTimeout = "2s";
  std::string requestTimeout = "30s";
  std::string idleTimeout;  // "" = not written (the default applies)
  std::optional<BreakerSpec> breaker;
  std::optional<bool> injectStreamUsage;  // inject_stream_usage; absent = the default
};

struct TargetSpec {
  std::string provider;
  std::string model;
};

struct ModelSpec {
  std::string name;
  std::vector<TargetSpec> targets;
  std::vector<std::string> aliases;
  std::vector<std::string> patterns;
};

struct QueueSpec {
  int maxWaiting = 0;
  std::string timeout = "2s";
};

struct ClientSpec {
  std::string id;
  std::string key;  // put into an env var
  int maxConcurrency = 0;
  std::optional<QueueSpec> queue;
  std::vector<std::string> models = {"*"};
};

struct GatewayConfig {
  int workers = 1;
  std::string maxRequestBody = "10MiB";
  std::string maxHeaderBytes = "64KiB";
  std::string headerTimeout = "10s";
  std::string bodyTimeout = "30s";
  std::string idleTimeout = "60s";
  std::string drainTimeout = "10s";
  std::string adminToken = "admin-token-Zq9x7Kp2";
  int maxConnections = 0;  // server.max_connections (0 = derived from RLIMIT_NOFILE)
  // RLIMIT_NOFILE for the slotgate process (started through prlimit); 0 = inherited.
  int openFilesLimit = 0;
  int retries = 1;
  std::vector<ProviderSpec> providers;
  std::vector<ModelSpec> models;
  std::vector<ClientSpec> clients;

  // The YAML text (secrets referenced by env var names only).
  [[nodiscard]] std::string yaml() const;
  // The env vars holding the secrets yaml() refers to.
  [[nodiscard]] std::map<std::string, std::string> env() const;
};

// Builders (plain aggregate init with skipped fields trips -Wmissing-field-initializers).
[[nodiscard]] ProviderSpec makeProvider(std::string name, std::string type, std::string baseUrl,
                                        std::vector<KeySpec> keys);
[[nodiscard]] ModelSpec makeModel(std::string name, std::vector<TargetSpec> targets,
                                  std::vector<std::string> aliases = {});
[[nodiscard]] ClientSpec makeClient(std::string id, std::string key, int maxConcurrency = 0,
                                    std::vector<std::string> models = {"*"});

// Well-known secrets of the standard config (the tests grep for them in logs and bodies).
inline constexpr char kClientKey[] = "sk-client-Ab12Cd34Ef56";
inline constexpr char kOtherClientKey[] = "sk-client-restricted-Gh78";
inline constexpr char kOpenAiSecret[] = "sk-upstream-openai-Zz11Yy22";
inline constexpr char kAnthropicSecret[] = "sk-ant-upstream-Xx33Ww44";

// The streamed chat request most stream tests send: model "gpt-test", one user message "hi".
inline constexpr char kStreamedChatBody[] =
    R"({"model":"gpt-test","stream":true,"messages":[{"role":"user","content":"hi"}]})";

// One OpenAI and one Anthropic provider at `mock`, models "gpt-test" (alias "gt", target model
// "gpt-upstream") and "claude-test" (alias "ct", target "claude-upstream"), client "team-a"
// (kClientKey, all models) and client "team-b" (kOtherClientKey, only "claude-*").
[[nodiscard]] GatewayConfig standardConfig(const MockProvider& mock);

// A running slotgate process.
class Gateway {
 public:
  // Writes the config to a temp dir, starts slotgate and waits for its started line. Throws
  // std::runtime_error (with slotgate's stderr) if it does not come up.
  explicit Gateway(const GatewayConfig& config);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  [[nodiscard]] uint16_t port() const { return port_; }
  [[nodiscard]] uint16_t adminPort() const { return adminPort_; }
  [[nodiscard]] std::string url(const std::string& path) const;
  [[nodiscard]] std::string adminUrl(const std::string& path) const;
  [[nodiscard]] Process& process() { return *process_; }
  [[nodiscard]] const GatewayConfig& config() const { return config_; }

  // POST /v1/chat/completions for `model` with Bearer `key` ("" = no auth header).
  [[nodiscard]] HttpResponse chat(const std::string& model, const std::string& key = kClientKey,
                                  const Headers& extra = {}, Millis timeout = 10s) const;
  // The same with "stream": true and usage included.
  [[nodiscard]] StreamResponse stream(const std::string& model, const std::string& key = kClientKey,
                                      const Headers& extra = {}, const StreamOptions& options = {},
                                      Millis timeout = 30s) const;
  // A "gpt-test" stream without stream_options whose `chunks` content chunks the mock sends
  // `delayMs` apart (the first `delayMs` after the headers): first-token and chunk-gap figures
  // have these lower bounds however loaded the machine is.
  [[nodiscard]] StreamResponse pacedStream(int chunks, int delayMs) const;
  // POST to any data-plane path with Bearer `key` and `body`.
  [[nodiscard]] HttpResponse post(const std::string& path, const std::string& body,
                                  const std::string& key = kClientKey, const Headers& extra = {},
                                  Millis timeout = 10s) const;

  // Writes `config` over the file the gateway was started with (for reload tests). The env
  // (secrets) stays the one the process started with.
  void rewriteConfig(const GatewayConfig& config);
  // Writes raw text over that file (for broken reloads).
  void rewriteConfigText(const std::string& yaml);

  // GET /metrics text ("" on error).
  [[nodiscard]] std::string metricsText() const;
  // The value of the sample `name` whose labels include all of `labels` (summed when several
  // series match); nullopt when no sample matches.
  [[nodiscard]] std::optional<double> metricValue(
      const std::string& name, const std::map<std::string, std::string>& labels = {}) const;

  // The admin bearer header, and GET `path` on the admin listener as JSON (expecting 200).
  [[nodiscard]] Headers adminAuth() const;
  [[nodiscard]] nlohmann::json adminJson(const std::string& path) const;

  // Access-log lines (event "access") parsed as JSON, in order.
  [[nodiscard]] std::vector<nlohmann::json> accessLines() const;
  // Waits until at least `count` access lines were logged; returns them.
  std::vector<nlohmann::json> waitAccessLines(size_t count, Millis timeout = 5s) const;

 private:
  GatewayConfig config_;
  TempDir dir_;
  std::unique_ptr<Process> process_;
  uint16_t port_ = 0;
  uint16_t adminPort_ = 0;
};

// A "gpt-test" chat (kClientKey) sent on another thread, which the mock holds under `name` until
// the test releases it (MockProvider::release): it keeps its slots as long as the test decides.
[[nodiscard]] std::future<HttpResponse> heldChat(const Gateway& gateway, const std::string& name);

// The element of a JSON array (an operator view) whose "request_id" is `id`, or nullptr.
[[nodiscard]] const nlohmann::json* findByRequestId(const nlohmann::json& array,
                                                    const std::string& id);

// ---- Prometheus text ------------------------------------------------------------------

struct MetricSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct PrometheusText {
  std::vector<std::string> errors;           // empty when the text is valid 0.0.4
  std::map<std::string, std::string> types;  // family -> counter|gauge|histogram|...
  std::vector<MetricSample> samples;
};

// Strict line-by-line parse of the text exposition format 0.0.4: HELP/TYPE comment syntax,
// metric and label name charset, quoted/escaped label values, numeric values, a sample only
// under its own family's TYPE (with _bucket/_sum/_count for histograms), no duplicate TYPE.
[[nodiscard]] PrometheusText parsePrometheus(const std::string& text);

// Value of `name` with all `labels` (summed), from parsed samples.
[[nodiscard]] std::optional<double> sampleValue(const PrometheusText& parsed,
                                                const std::string& name,
                                                const std::map<std::string, std::string>& labels);

// "Authorization: Bearer key" (+ Content-Type) headers.
[[nodiscard]] Headers bearer(const std::string& key, const Headers& extra = {});

}  // namespace slotgate::testing
