// No silent re-send (SPEC section 3): a request reaches the provider a second time only as
// a counted retry (routing.retries, the access line's `retries`,
// slotgate_upstream_retries_total). A raw upstream answers the first request of each
// connection and closes the connection without answering the next one, as a provider
// restarting or timing out a keep-alive connection does after reading a request; it counts
// every request that reached it. Pooled connections idle longer than the provider's
// idle_timeout are closed by slotgate.
#include <gtest/gtest.h>

#include "tests/integration/gateway_fixture.h"
#include "tests/integration/raw_upstream.h"

namespace slotgate::testing {
namespace {

constexpr char kChatBody[] = R"({"id":"c1","object":"chat.completion","choices":[],)"
                             R"("usage":{"prompt_tokens":1,"completion_tokens":1}})";

// Answers the first request of each connection, closes the connection on the second.
RawUpstream::Reply answerFirstCloseSecond(const RawUpstream::Request& request) {
  if (request.on_connection == 0) {
    return {rawOkResponse(kChatBody), false};
  }
  return {"", true};
}

GatewayConfig rawConfig(const RawUpstream& upstream, int retries, int keys) {
  GatewayConfig config;
  config.retries = retries;
  std::vector<KeySpec> key_specs;
  for (int k = 0; k < keys; ++k) {
    key_specs.push_back({"raw-key-" + std::to_string(k), "sk-raw-" + std::to_string(k), 0});
  }
  config.providers.push_back(makeProvider("raw", "openai", upstream.baseUrl(), key_specs));
  // The closes here are the upstream's script, not an outage: the breaker stays out of it.
  config.providers[0].breaker = BreakerSpec{1000, "30s", 1};
  config.models.push_back(makeModel("gpt-test", {{"raw", "raw-model"}}));
  config.clients.push_back(makeClient("team-a", kClientKey));
  return config;
}

int sumRetries(const std::vector<nlohmann::json>& lines) {
  int sum = 0;
  for (const auto& line : lines) {
    sum += line.value("retries", 0);
  }
  return sum;
}

constexpr int kClientRequests = 40;

TEST(UpstreamResend, ClosedWithoutAnswerIsNotSentAgainWithoutRetries) {
  RawUpstream upstream(answerFirstCloseSecond);
  Gateway gateway(rawConfig(upstream, /*retries=*/0, /*keys=*/1));
  int ok = 0;
  int bad_gateway = 0;
  for (int i = 0; i < kClientRequests; ++i) {
    const HttpResponse response = gateway.chat("gpt-test");
    ASSERT_TRUE(response.ok()) << response.error;
    if (response.status == 200) {
      ++ok;
    } else {
      EXPECT_EQ(response.status, 502) << response.body;
      EXPECT_EQ(response.json()["error"]["code"], "upstream_error") << response.body;
      ++bad_gateway;
    }
  }
  // Exactly one copy of each client request reached the upstream.
  EXPECT_EQ(upstream.requestCount(), static_cast<size_t>(kClientRequests));
  // Every reused connection was closed under its request: those are the 502s.
  EXPECT_EQ(ok, upstream.connectionsAccepted());
  EXPECT_GT(bad_gateway, 0);
  const auto lines = gateway.waitAccessLines(kClientRequests);
  EXPECT_EQ(sumRetries(lines), 0);
  EXPECT_EQ(
      gateway.metricValue("slotgate_upstream_retries_total", {{"provider", "raw"}}).value_or(0), 0);
}

TEST(UpstreamResend, EverySecondCopyIsACountedRetry) {
  // Two keys: a request whose connection closed without an answer is retried on the other
  // key (a counted retry), and the client gets its answer.
  RawUpstream upstream(answerFirstCloseSecond);
  Gateway gateway(rawConfig(upstream, /*retries=*/1, /*keys=*/2));
  for (int i = 0; i < kClientRequests; ++i) {
    const HttpResponse response = gateway.chat("gpt-test");
    ASSERT_TRUE(response.ok()) << response.error;
    EXPECT_EQ(response.status, 200) << response.body;
  }
  const auto lines = gateway.waitAccessLines(kClientRequests);
  const int retries = sumRetries(lines);
  EXPECT_GT(retries, 0);
  EXPECT_EQ(upstream.requestCount(), static_cast<size_t>(kClientRequests + retries));
  EXPECT_EQ(gateway.metricValue("slotgate_upstream_retries_total", {{"provider", "raw"}}),
            std::optional<double>(retries));
}

TEST(UpstreamResend, IdleConnectionsAreClosedAfterTheProviderIdleTimeout) {
  RawUpstream upstream([](const RawUpstream::Request&) {
    return RawUpstream::Reply{rawOkResponse(kChatBody), false};
  });
  GatewayConfig config = rawConfig(upstream, 0, 1);
  config.providers[0].idleTimeout = "300ms";
  Gateway gateway(config);
  ASSERT_EQ(gateway.chat("gpt-test").status, 200);
  // slotgate closes the idle connection itself, well before any server would.
  EXPECT_TRUE(eventually([&] { return upstream.connectionsClosedByPeer() == 1; }, 10s));
  ASSERT_EQ(gateway.chat("gpt-test").status, 200);
  EXPECT_EQ(upstream.connectionsAccepted(), 2);
  EXPECT_EQ(upstream.requestCount(), 2u);
}

}  // namespace
}  // namespace slotgate::testing
