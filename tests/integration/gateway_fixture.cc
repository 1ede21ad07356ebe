#include "tests/integration/gateway_fixture.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>
#include <stdexcept>

namespace slotgate::testing {
namespace {

// A YAML double-quoted scalar: JSON string syntax is valid YAML.
std::string q(const std::string& text) { return nlohmann::json(text).dump(); }

std::string list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i > 0 ? ", " : "") + q(items[i]);
  }
  return out + "]";
}

std::string providerKeyEnv(size_t provider, size_t key) {
  return "SG_TEST_PROVIDER_KEY_" + std::to_string(provider) + "_" + std::to_string(key);
}
std::string clientKeyEnv(size_t client) { return "SG_TEST_CLIENT_KEY_" + std::to_string(client); }
constexpr char kAdminTokenEnv[] = "SG_TEST_ADMIN_TOKEN";

}  // namespace

std::string GatewayConfig::yaml() const {
  std::ostringstream y;
  y << "server:\n"
    << "  listen: 127.0.0.1:0\n"
    << "  workers: " << workers << "\n"
    << "  max_request_body: " << maxRequestBody << "\n"
    << "  max_header_bytes: " << maxHeaderBytes << "\n"
    << "  header_timeout: " << headerTimeout << "\n"
    << "  body_timeout: " << bodyTimeout << "\n"
    << "  idle_timeout: " << idleTimeout << "\n"
    << "  max_connections: " << maxConnections << "\n"
    << "  drain_timeout: " << drainTimeout << "\n"
    << "admin:\n"
    << "  listen: 127.0.0.1:0\n";
  if (!adminToken.empty()) {
    y << "  token_env: " << kAdminTokenEnv << "\n";
  }
  y << "providers:\n";
  for (size_t p = 0; p < providers.size(); ++p) {
    const ProviderSpec& provider = providers[p];
    y << "  - name: " << q(provider.name) << "\n"
      << "    type: " << provider.type << "\n"
      << "    base_url: " << q(provider.baseUrl) << "\n"
      << "    connect_timeout: " << provider.connectTimeout << "\n"
      << "    request_timeout: " << provider.requestTimeout << "\n";
    if (!provider.idleTimeout.empty()) {
      y << "    idle_timeout: " << provider.idleTimeout << "\n";
    }
    y << "    keys:\n";
    for (size_t k = 0; k < provider.keys.size(); ++k) {
      y << "      - id: " << q(provider.keys[k].id) << "\n"
        << "        secret_env: " << providerKeyEnv(p, k) << "\n"
        << "        max_concurrency: " << provider.keys[k].maxConcurrency << "\n";
    }
    if (provider.breaker) {
      y << "    circuit_breaker:\n"
        << "      failure_threshold: " << provider.breaker->failureThreshold << "\n"
        << "      open_duration: " << provider.breaker->openDuration << "\n"
        << "      half_open_requests: " << provider.breaker->halfOpenRequests << "\n";
    }
    if (provider.injectStreamUsage) {
      y << "    inject_stream_usage: " << (*provider.injectStreamUsage ? "true" : "false") << "\n";
    }
  }
  y << "models:\n";
  for (const ModelSpec& model : models) {
    y << "  - name: " << q(model.name) << "\n";
    if (!model.aliases.empty()) {
      y << "    aliases: " << list(model.aliases) << "\n";
    }
    if (!model.patterns.empty()) {
      y << "    patterns: " << list(model.patterns) << "\n";
    }
    y << "    targets:\n";
    for (const TargetSpec& target : model.targets) {
      y << "      - { provider: " << q(target.provider) << ", model: " << q(target.model) << " }\n";
    }
  }
  y << "clients:\n";
  for (size_t c = 0; c < clients.size(); ++c) {
    const ClientSpec& client = clients[c];
    y << "  - id: " << q(client.id) << "\n"
      << "    key_env: " << clientKeyEnv(c) << "\n"
      << "    max_concurrency: " << client.maxConcurrency << "\n";
    if (client.queue) {
      y << "    queue: { max_waiting: " << client.queue->maxWaiting
        << ", timeout: " << client.queue->timeout << " }\n";
    }
    y << "    models: " << list(client.models) << "\n";
  }
  y << "routing:\n"
    << "  retries: " << retries << "\n";
  return y.str();
}

std::map<std::string, std::string> GatewayConfig::env() const {
  std::map<std::string, std::string> out;
  for (size_t p = 0; p < providers.size(); ++p) {
    for (size_t k = 0; k < providers[p].keys.size(); ++k) {
      out[providerKeyEnv(p, k)] = providers[p].keys[k].secret;
    }
  }
  for (size_t c = 0; c < clients.size(); ++c) {
    out[clientKeyEnv(c)] = clients[c].key;
  }
  if (!adminToken.empty()) {
    out[kAdminTokenEnv] = adminToken;
  }
  return out;
}

ProviderSpec makeProvider(std::string name, std::string type, std::string baseUrl,
                          std::vector<KeySpec> keys) {
  ProviderSpec provider;
  provider.name = std::move(name);
  provider.type = std::move(type);
  provider.baseUrl = std::move(baseUrl);
  provider.keys = std::move(keys);
  return provider;
}

ModelSpec makeModel(std::string name, std::vector<TargetSpec> targets,
                    std::vector<std::string> aliases) {
  ModelSpec model;
  model.name = std::move(name);
  model.targets = std::move(targets);
  model.aliases = std::move(aliases);
  return model;
}

ClientSpec makeClient(std::string id, std::string key, int maxConcurrency,
                      std::vector<std::string> models) {
  ClientSpec client;
  client.id = std::move(id);
  client.key = std::move(key);
  client.maxConcurrency = maxConcurrency;
  client.models = std::move(models);
  return client;
}

GatewayConfig standardConfig(const MockProvider& mock) {
  GatewayConfig config;
  config.providers.push_back(
      makeProvider("mock-openai", "openai", mock.baseUrl(), {{"openai-key", kOpenAiSecret, 64}}));
  config.providers.push_back(makeProvider("mock-anthropic", "anthropic", mock.baseUrl(),
                                          {{"anthropic-key", kAnthropicSecret, 64}}));
  config.models.push_back(makeModel("gpt-test", {{"mock-openai", "gpt-upstream"}}, {"gt"}));
  config.models.push_back(
      makeModel("claude-test", {{"mock-anthropic", "claude-upstream"}}, {"ct"}));
  config.clients.push_back(makeClient("team-a", kClientKey, 64));
  config.clients.push_back(makeClient("team-b", kOtherClientKey, 64, {"claude-*"}));
  return config;
}

// ---- Gateway ------------------------------------------------------------------------------

Gateway::Gateway(const GatewayConfig& config) : config_(config) {
  const std::string path = dir_.writeFile("slotgate.yaml", config_.yaml());
  std::vector<std::string> argv{slotgateBinary(), "-c", path};
  if (config_.openFilesLimit > 0) {
    // prlimit sets the limit and execs slotgate in the same process (same pid).
    const std::string limit = std::to_string(config_.openFilesLimit);
    argv.insert(argv.begin(), {"prlimit", "--nofile=" + limit + ":" + limit, "--"});
  }
  process_ = std::make_unique<Process>(std::move(argv), config_.env());
  const auto line = process_->waitForLine(Stream::kStderr, "\"event\":\"started\"", 15s);
  if (!line) {
    throw std::runtime_error("slotgate did not start; config:\n" + config_.yaml() + "\nstderr:\n" +
                             process_->stderrText());
  }
  const auto started = nlohmann::json::parse(*line, nullptr, false);
  auto portOf = [&](const char* field) -> uint16_t {
    if (!started.is_object() || !started.contains(field) || !started[field].is_string()) {
      throw std::runtime_error("slotgate: bad started line: " + *line);
    }
    const std::string address = started[field].get<std::string>();
    return static_cast<uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
  };
  port_ = portOf("listen");
  adminPort_ = portOf("admin");
}

void Gateway::rewriteConfig(const GatewayConfig& config) { rewriteConfigText(config.yaml()); }

void Gateway::rewriteConfigText(const std::string& yaml) {
  (void)dir_.writeFile("slotgate.yaml", yaml);
}

Gateway::~Gateway() {
  // A gateway that died under a test is a finding of its own: show how and its last words.
  // Only crash signals count: tests may stop or SIGKILL a gateway on purpose.
  if (process_ && !process_->running()) {
    const int status = process_->waitExit(0ms).value_or(-1);
    if (status != 128 + SIGSEGV && status != 128 + SIGABRT && status != 128 + SIGBUS &&
        status != 128 + SIGFPE && status != 128 + SIGILL) {
      return;
    }
    const std::string log = process_->stderrText();
    ADD_FAILURE() << "slotgate exited during the test with status " << status << "; stderr tail:\n"
                  << log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
  }
}

std::string Gateway::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::string Gateway::adminUrl(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(adminPort_) + path;
}

Headers bearer(const std::string& key, const Headers& extra) {
  Headers headers = {{"Content-Type", "application/json"}};
  if (!key.empty()) {
    headers.emplace_back("Authorization", "Bearer " + key);
  }
  headers.insert(headers.end(), extra.begin(), extra.end());
  return headers;
}

HttpResponse Gateway::chat(const std::string& model, const std::string& key, const Headers& extra,
                           Millis timeout) const {
  const nlohmann::json body = {{"model", model},
                               {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  return request("POST", url("/v1/chat/completions"), bearer(key, extra), body.dump(), timeout);
}

StreamResponse Gateway::stream(const std::string& model, const std::string& key,
                               const Headers& extra, const StreamOptions& options,
                               Millis timeout) const {
  const nlohmann::json body = {{"model", model},
                               {"stream", true},
                               {"stream_options", {{"include_usage", true}}},
                               {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  return streamRequest("POST", url("/v1/chat/completions"), bearer(key, extra), body.dump(),
                       timeout, options);
}

std::future<HttpResponse> heldChat(const Gateway& gateway, const std::string& name) {
  return std::async(std::launch::async, [&gateway, name] {
    return gateway.chat("gpt-test", kClientKey, mockHold(name), 60s);
  });
}

StreamResponse Gateway::pacedStream(int chunks, int delayMs) const {
  const std::string body = kStreamedChatBody;
  return streamRequest("POST", url("/v1/chat/completions"),
                       bearer(kClientKey, {{"x-mock-chunks", std::to_string(chunks)},
                                           {"x-mock-delay-ms", std::to_string(delayMs)}}),
                       body);
}

HttpResponse Gateway::post(const std::string& path, const std::string& body, const std::string& key,
                           const Headers& extra, Millis timeout) const {
  return request("POST", url(path), bearer(key, extra), body, timeout);
}

std::string Gateway::metricsText() const { return httpGetBody(adminUrl("/metrics")); }

std::optional<double> Gateway::metricValue(const std::string& name,
                                           const std::map<std::string, std::string>& labels) const {
  return sampleValue(parsePrometheus(metricsText()), name, labels);
}

std::vector<nlohmann::json> Gateway::accessLines() const {
  std::vector<nlohmann::json> out;
  for (const std::string& line : process_->lines(Stream::kStderr)) {
    auto parsed = nlohmann::json::parse(line, nullptr, false);
    if (parsed.is_object() && parsed.value("event", "") == "access") {
      out.push_back(std::move(parsed));
    }
  }
  return out;
}

std::vector<nlohmann::json> Gateway::waitAccessLines(size_t count, Millis timeout) const {
  std::vector<nlohmann::json> lines;
  eventually(
      [&] {
        lines = accessLines();
        return lines.size() >= count;
      },
      timeout);
  return lines;
}

// ---- Prometheus text ------------------------------------------------------------------------

namespace {

bool isNameStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool isNameChar(char c) { return isNameStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

bool validMetricName(std::string_view name) {
  if (name.empty() || !isNameStart(name[0])) {
    return false;
  }
  for (char c : name) {
    if (!isNameChar(c)) {
      return false;
    }
  }
  return true;
}

bool validLabelName(std::string_view name) {
  return validMetricName(name) && name.find(':') == std::string_view::npos;
}

std::optional<double> parseValue(const std::string& text) {
  if (text == "+Inf" || text == "Inf") {
    return HUGE_VAL;
  }
  if (text == "-Inf") {
    return -HUGE_VAL;
  }
  if (text == "NaN") {
    return std::nan("");
  }
  if (text.empty()) {
    return std::nullopt;
  }
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || text.find_first_of("xXpP") != std::string::npos) {
    return std::nullopt;
  }
  return value;
}

// Parses `{a="1",b="x"}` starting at `pos` (which points at '{'); advances pos past '}'.
bool parseLabels(const std::string& line, size_t& pos, std::map<std::string, std::string>& out,
                 std::string& error) {
  ++pos;
  while (pos < line.size() && line[pos] != '}') {
    const size_t eq = line.find('=', pos);
    if (eq == std::string::npos) {
      error = "label without '='";
      return false;
    }
    const std::string name = line.substr(pos, eq - pos);
    if (!validLabelName(name)) {
      error = "bad label name '" + name + "'";
      return false;
    }
    pos = eq + 1;
    if (pos >= line.size() || line[pos] != '"') {
      error = "label value not quoted";
      return false;
    }
    ++pos;
    std::string value;
    bool closed = false;
    while (pos < line.size()) {
      const char c = line[pos++];
      if (c == '"') {
        closed = true;
        break;
      }
      if (c == '\\') {
        if (pos >= line.size()) {
          break;
        }
        const char e = line[pos++];
        if (e == 'n') {
          value += '\n';
        } else if (e == '\\' || e == '"') {
          value += e;
        } else {
          error = std::string("bad escape \\") + e;
          return false;
        }
        continue;
      }
      value += c;
    }
    if (!closed) {
      error = "unterminated label value";
      return false;
    }
    if (out.count(name) > 0) {
      error = "duplicate label '" + name + "'";
      return false;
    }
    out[name] = value;
    if (pos < line.size() && line[pos] == ',') {
      ++pos;
    } else if (pos < line.size() && line[pos] != '}') {
      error = "expected ',' or '}' after a label";
      return false;
    }
  }
  if (pos >= line.size()) {
    error = "unterminated label set";
    return false;
  }
  ++pos;  // '}'
  return true;
}

// The family a sample named `name` belongs to, given the current family and its type.
bool belongsTo(const std::string& name, const std::string& family, const std::string& type) {
  if (name == family) {
    return type != "histogram";
  }
  if (type == "histogram") {
    return name == family + "_bucket" || name == family + "_sum" || name == family + "_count";
  }
  if (type == "summary") {
    return name == family + "_sum" || name == family + "_count";
  }
  return false;
}

std::string seriesKey(const MetricSample& sample) {
  std::string key = sample.name;
  for (const auto& [k, v] : sample.labels) {
    key += "\x1f" + k + "=" + v;
  }
  return key;
}

}  // namespace

PrometheusText parsePrometheus(const std::string& text) {
  PrometheusText out;
  if (text.empty()) {
    out.errors.push_back("empty exposition");
    return out;
  }
  if (text.back() != '\n') {
    out.errors.push_back("exposition does not end with a newline");
  }
  static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                               "untyped"};
  std::string family;  // current TYPE'd family
  std::string familyType;
  std::set<std::string> closedFamilies;  // families whose block ended
  std::set<std::string> helped;
  std::set<std::string> series;
  std::istringstream in(text);
  std::string line;
  size_t number = 0;
  auto fail = [&](const std::string& message) {
    out.errors.push_back("line " + std::to_string(number) + ": " + message + ": " + line);
  };
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) {
      continue;
    }
    if (line[0] == '#') {
      std::istringstream words(line);
      std::string hash, keyword, name;
      words >> hash >> keyword >> name;
      if (hash != "#" || (keyword != "HELP" && keyword != "TYPE")) {
        continue;  // a plain comment
      }
      if (!validMetricName(name)) {
        fail("bad metric name in " + keyword);
        continue;
      }
      if (keyword == "HELP") {
        if (!helped.insert(name).second) {
          fail("duplicate HELP");
        }
        continue;
      }
      std::string type, extra;
      words >> type >> extra;
      if (kTypes.count(type) == 0 || !extra.empty()) {
        fail("bad TYPE");
        continue;
      }
      if (out.types.count(name) > 0) {
        fail("duplicate TYPE");
        continue;
      }
      if (!family.empty()) {
        closedFamilies.insert(family);
      }
      out.types[name] = type;
      family = name;
      familyType = type;
      continue;
    }
    MetricSample sample;
    size_t pos = 0;
    while (pos < line.size() && line[pos] != '{' && line[pos] != ' ') {
      ++pos;
    }
    sample.name = line.substr(0, pos);
    if (!validMetricName(sample.name)) {
      fail("bad metric name");
      continue;
    }
    if (pos < line.size() && line[pos] == '{') {
      std::string error;
      if (!parseLabels(line, pos, sample.labels, error)) {
        fail(error);
        continue;
      }
    }
    if (pos >= line.size() || line[pos] != ' ') {
      fail("no value");
      continue;
    }
    std::istringstream rest(line.substr(pos + 1));
    std::string valueText, timestamp, extra;
    rest >> valueText >> timestamp >> extra;
    const auto value = parseValue(valueText);
    if (!value || !extra.empty()) {
      fail("bad value");
      continue;
    }
    if (!timestamp.empty() && timestamp.find_first_not_of("-0123456789") != std::string::npos) {
      fail("bad timestamp");
      continue;
    }
    sample.value = *value;
    if (family.empty() || !belongsTo(sample.name, family, familyType)) {
      fail("sample outside its family's TYPE block (family '" + family + "')");
      continue;
    }
    if (familyType == "histogram" && sample.name == family + "_bucket") {
      if (sample.labels.count("le") == 0 || !parseValue(sample.labels.at("le"))) {
        fail("histogram bucket without a numeric le");
        continue;
      }
    }
    if (!series.insert(seriesKey(sample)).second) {
      fail("duplicate series");
      continue;
    }
    out.samples.push_back(std::move(sample));
  }
  // Histograms: every label set has a +Inf bucket equal to _count, and buckets are cumulative.
  for (const auto& [name, type] : out.types) {
    if (type != "histogram") {
      continue;
    }
    std::map<std::string, std::vector<std::pair<double, double>>> buckets;
    std::map<std::string, double> counts;
    for (const MetricSample& s : out.samples) {
      auto labels = s.labels;
      labels.erase("le");
      const std::string key = seriesKey(MetricSample{name, labels, 0});
      if (s.name == name + "_bucket") {
        buckets[key].emplace_back(*parseValue(s.labels.at("le")), s.value);
      } else if (s.name == name + "_count") {
        counts[key] = s.value;
      }
    }
    for (auto& [key, list] : buckets) {
      std::sort(list.begin(), list.end());
      for (size_t i = 1; i < list.size(); ++i) {
        if (list[i].second < list[i - 1].second) {
          out.errors.push_back(name + ": buckets not cumulative");
        }
      }
      if (list.empty() || !std::isinf(list.back().first) || counts.count(key) == 0 ||
          list.back().second != counts[key]) {
        out.errors.push_back(name + ": +Inf bucket missing or different from _count");
      }
    }
  }
  return out;
}

std::optional<double> sampleValue(const PrometheusText& parsed, const std::string& name,
                                  const std::map<std::string, std::string>& labels) {
  std::optional<double> total;
  for (const MetricSample& s : parsed.samples) {
    if (s.name != name) {
      continue;
    }
    bool match = true;
    for (const auto& [k, v] : labels) {
      const auto it = s.labels.find(k);
      if (it == s.labels.end() || it->second != v) {
        match = false;
        break;
      }
    }
    if (match) {
      total = total.value_or(0) + s.value;
    }
  }
  return total;
}

Headers Gateway::adminAuth() const { return {{"Authorization", "Bearer " + config_.adminToken}}; }

nlohmann::json Gateway::adminJson(const std::string& path) const {
  const HttpResponse r = request("GET", adminUrl(path), adminAuth());
  EXPECT_EQ(r.status, 200) << path << ": " << r.body;
  return r.json();
}

const nlohmann::json* findByRequestId(const nlohmann::json& array, const std::string& id) {
  for (const auto& item : array) {
    if (item.value("request_id", "") == id) {
      return &item;
    }
  }
  return nullptr;
}

}  // namespace slotgate::testing
