// slotgate end to end, operations (SPEC sections 1, 6, 8): secrets never leak into logs, error
// bodies or metrics; /metrics is valid Prometheus text with every SPEC family and type; SIGTERM
// drains in-flight streams and refuses new connections; --check reports YAML paths.
#include <gtest/gtest.h>
#include <signal.h>

#include <future>

#include "tests/integration/gateway_fixture.h"
#include "tests/spec_metric_families.h"

namespace slotgate::testing {
namespace {

// Exercises success, stream, and error paths so that most series exist.
std::vector<HttpResponse> mixedTraffic(const Gateway& gateway) {
  std::vector<HttpResponse> out;
  out.push_back(gateway.chat("gpt-test"));
  out.push_back(gateway.chat("gt"));
  out.push_back(gateway.chat("gpt-test", ""));
  out.push_back(gateway.chat("gpt-test", "sk-wrong-key-Qq55"));
  out.push_back(gateway.chat("gpt-test", kOtherClientKey));
  out.push_back(gateway.chat("nope-model"));
  out.push_back(gateway.chat("gpt-test", kClientKey, {{"x-mock-fail", "400"}}));
  out.push_back(gateway.chat("gpt-test", kClientKey, {{"x-mock-fail", "500"}}));
  out.push_back(gateway.post("/v1/chat/completions", "{bad"));
  out.push_back(request("POST", gateway.url("/v1/messages"),
                        {{"x-api-key", kClientKey}, {"anthropic-version", "2023-06-01"}},
                        R"({"model":"ct","max_tokens":4,"messages":[]})"));
  EXPECT_TRUE(gateway.stream("gpt-test").cleanEnd());
  return out;
}

TEST(GatewayOps, SecretsNeverLeak) {
  MockProvider mock;
  Gateway gateway(standardConfig(mock));
  const auto responses = mixedTraffic(gateway);
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[3].status, 401);
  // Admin endpoints, with and without the token.
  const Headers admin = gateway.adminAuth();
  const auto json = request("GET", gateway.adminUrl("/metrics/json"), admin);
  EXPECT_EQ(json.status, 200);
  EXPECT_EQ(request("GET", gateway.adminUrl("/metrics/json")).status, 401);
  const std::string metrics = gateway.metricsText();
  ASSERT_FALSE(metrics.empty());
  EXPECT_TRUE(eventually([&] { return gateway.accessLines().size() >= 11; }));

  const std::vector<std::string> secrets = {kClientKey,
                                            kOtherClientKey,
                                            kOpenAiSecret,
                                            kAnthropicSecret,
                                            gateway.config().adminToken,
                                            "sk-wrong-key-Qq55"};
  const std::string log = gateway.process().stderrText();
  for (const auto& secret : secrets) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "secret in the log: " << secret;
    EXPECT_EQ(metrics.find(secret), std::string::npos) << "secret in /metrics: " << secret;
    EXPECT_EQ(json.body.find(secret), std::string::npos) << "secret in /metrics/json";
    for (const auto& r : responses) {
      EXPECT_EQ(r.body.find(secret), std::string::npos) << "secret in a body: " << r.body;
      for (const auto& [name, value] : r.headers) {
        EXPECT_EQ(value.find(secret), std::string::npos) << "secret in header " << name;
      }
    }
  }
}

TEST(GatewayOps, MetricsAreValidPrometheusWithEverySpecFamily) {
  MockProvider mock;
  Gateway gateway(standardConfig(mock));
  mixedTraffic(gateway);
  const auto response = request("GET", gateway.adminUrl("/metrics"));
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.header("content-type").rfind("text/plain", 0), 0u);
  EXPECT_NE(response.header("content-type").find("version=0.0.4"), std::string::npos);
  const PrometheusText parsed = parsePrometheus(response.body);
  for (const auto& error : parsed.errors) {
    ADD_FAILURE() << error;
  }
  for (const auto& [family, type] : kSpecMetricFamilies) {
    const auto it = parsed.types.find(family);
    ASSERT_NE(it, parsed.types.end()) << "missing family " << family;
    EXPECT_EQ(it->second, type) << family;
  }
  // Exact values from the traffic above (2 OK chats, 1 stream, 9 errors of several kinds).
  EXPECT_EQ(sampleValue(parsed, "request_total", {{"type", "streaming"}, {"status", "success"}}),
            1.0);
  EXPECT_EQ(sampleValue(parsed, "inference_errors_total",
                        {{"error_type", "invalid_api_key"}, {"tenant", "unknown"}}),
            2.0);
  EXPECT_EQ(sampleValue(parsed, "inference_errors_total",
                        {{"error_type", "model_not_found"}, {"model", "unknown"}}),
            1.0);
  EXPECT_EQ(sampleValue(parsed, "inference_errors_total",
                        {{"error_type", "upstream_status"}, {"tenant", "team-a"}}),
            2.0);
  EXPECT_EQ(sampleValue(parsed, "inference_requests_total",
                        {{"model", "gpt-test"}, {"version", "gpt-upstream"}, {"tenant", "team-a"}}),
            5.0);
  EXPECT_EQ(sampleValue(parsed, "model_alias_resolution_total", {{"method", "alias"}}), 2.0);
  EXPECT_EQ(sampleValue(parsed, "health_open_circuits", {}), 0.0);
  EXPECT_GT(sampleValue(parsed, "process_resident_memory_bytes", {}).value_or(0), 0.0);
  // Label values come from config ids and fixed enumerations only.
  for (const auto& sample : parsed.samples) {
    for (const auto& [name, value] : sample.labels) {
      EXPECT_EQ(value.find("nope-model"), std::string::npos) << sample.name;
    }
  }
}

TEST(GatewayOps, SigtermDrainsInFlightStreamAndRefusesNewConnections) {
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  config.drainTimeout = "300s";  // the drain waits for the stream, which waits for the test
  Gateway gateway(config);
  // The stream is held at the mock after its first event until the test releases it.
  auto inflight = std::async(std::launch::async, [&] {
    return gateway.stream("gpt-test", kClientKey, mockHold("drain", {{"x-mock-chunks", "10"}}), {},
                          300s);
  });
  ASSERT_TRUE(mock.waitHeld("drain", 1));
  ASSERT_TRUE(gateway.process().signal(SIGTERM));
  // New connections are refused while the stream still runs.
  EXPECT_TRUE(
      eventually([&] { return gateway.chat("gpt-test", kClientKey, {}, 1s).status == 0; }, 20s));
  EXPECT_EQ(inflight.wait_for(0s), std::future_status::timeout) << "stream ended during drain";
  EXPECT_EQ(mock.release("drain"), 1);
  const StreamResponse stream = inflight.get();
  EXPECT_TRUE(stream.cleanEnd()) << stream.error;
  EXPECT_EQ(stream.status, 200);
  EXPECT_NE(stream.body.find("[DONE]"), std::string::npos);
  EXPECT_EQ(gateway.process().waitExit(10s), 0);
  EXPECT_EQ(mock.stats()["cancelled"], 0);
}

TEST(GatewayOps, CheckReportsYamlPathsAndExitCodes) {
  MockProvider mock;
  TempDir dir;
  GatewayConfig good = standardConfig(mock);
  const std::string goodPath = dir.writeFile("good.yaml", good.yaml());
  Process ok({slotgateBinary(), "--check", "-c", goodPath}, good.env());
  EXPECT_EQ(ok.waitExit(10s), 0) << ok.stdoutText() << ok.stderrText();

  GatewayConfig bad = good;
  bad.providers[1].keys[0].maxConcurrency = -1;
  bad.models[0].targets[0].provider = "no-such-provider";
  std::string yaml = bad.yaml();
  yaml += "unknown_top_level_key: 1\n";
  const std::string badPath = dir.writeFile("bad.yaml", yaml);
  Process check({slotgateBinary(), "--check", "-c", badPath}, bad.env());
  EXPECT_EQ(check.waitExit(10s), 1);
  const std::string out = check.stdoutText() + check.stderrText();
  EXPECT_NE(out.find("providers[1].keys[0].max_concurrency"), std::string::npos) << out;
  EXPECT_NE(out.find("models[0].targets[0].provider"), std::string::npos) << out;
  EXPECT_NE(out.find("unknown_top_level_key"), std::string::npos) << out;
  for (const auto& secret : {kClientKey, kOpenAiSecret, kAnthropicSecret}) {
    EXPECT_EQ(out.find(secret), std::string::npos);
  }
}

}  // namespace
}  // namespace slotgate::testing
