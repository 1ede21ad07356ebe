// slotgate end to end, broken streams (SPEC section 3): a client that leaves mid-stream cancels
// the upstream request and frees its slots; an upstream that drops mid-stream gives the client
// an aborted stream (never a clean end) and counts as an error.
#include <gtest/gtest.h>

#include "tests/integration/gateway_fixture.h"

namespace slotgate::testing {
namespace {

class GatewayStream : public ::testing::Test {
 protected:
  GatewayStream() : gateway_(standardConfig(mock_)) {}

  MockProvider mock_;
  Gateway gateway_;
};

TEST_F(GatewayStream, ClientDisconnectCancelsUpstream) {
  StreamOptions options;
  options.abortAfterChunks = 1;
  // Held at the mock after its first event: nothing more is written to the client, so the
  // gateway must notice the close itself, not at its next write.
  const auto response =
      gateway_.stream("gpt-test", kClientKey, mockHold("gone", {{"x-mock-chunks", "5"}}), options);
  ASSERT_TRUE(response.aborted);
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(eventually([&] { return mock_.stats()["cancelled"] == 1; }, 20s))
      << mock_.stats().dump();
  EXPECT_EQ(mock_.stats()["inflight"], 0);
  EXPECT_TRUE(eventually(
      [&] {
        return gateway_.metricValue("concurrency_slots_in_use", {{"key_id", "openai-key"}}) ==
                   0.0 &&
               gateway_.metricValue("concurrency_slots_in_use", {{"key_id", "team-a"}}) == 0.0;
      },
      20s));
  EXPECT_EQ(gateway_.metricValue("concurrency_slot_release_total",
                                 {{"key_id", "openai-key"}, {"exception", "true"}}),
            1.0);
  EXPECT_EQ(gateway_.metricValue("upstream_inflight", {{"provider", "mock-openai"}}), 0.0);
  // The client leaving is not a provider failure.
  EXPECT_EQ(gateway_.metricValue("health_open_circuits"), 0.0);
}

TEST_F(GatewayStream, ClientDisconnectBeforeFirstByteCancelsUpstream) {
  // The upstream holds its answer before the headers until released (never, here); the client
  // gives up after 300 ms.
  const auto response =
      gateway_.stream("gpt-test", kClientKey, mockHold("never", {}, "headers"), {}, 300ms);
  EXPECT_EQ(response.curlCode, kCurlTimeout);
  EXPECT_TRUE(eventually([&] { return mock_.stats()["cancelled"] == 1; }, 20s))
      << mock_.stats().dump();
  EXPECT_TRUE(eventually(
      [&] {
        return gateway_.metricValue("concurrency_slots_in_use", {{"key_id", "openai-key"}}) == 0.0;
      },
      20s));
}

TEST_F(GatewayStream, UpstreamDropAbortsClientStream) {
  const double errorsBefore =
      gateway_.metricValue("request_total", {{"type", "streaming"}, {"status", "error"}})
          .value_or(0);
  const auto response =
      gateway_.stream("gpt-test", kClientKey, {{"x-mock-fail", "drop"}, {"x-mock-chunks", "5"}});
  EXPECT_EQ(response.status, 200);
  EXPECT_FALSE(response.cleanEnd()) << "a dropped upstream ended as a clean stream";
  EXPECT_TRUE(response.curlCode == kCurlPartialFile || response.curlCode == kCurlRecvError)
      << response.curlCode << " " << response.error;
  // The stream never reached its end marker.
  EXPECT_EQ(response.body.find("[DONE]"), std::string::npos);
  EXPECT_TRUE(eventually(
      [&] {
        return gateway_.metricValue("request_total", {{"type", "streaming"}, {"status", "error"}})
                   .value_or(0) == errorsBefore + 1;
      },
      2s));
  EXPECT_EQ(gateway_.metricValue("request_total", {{"type", "streaming"}, {"status", "success"}})
                .value_or(0),
            0.0);
  EXPECT_TRUE(eventually(
      [&] {
        return gateway_.metricValue("concurrency_slots_in_use", {{"key_id", "openai-key"}}) == 0.0;
      },
      20s));

  // Anthropic streams too.
  const nlohmann::json body = {{"model", "claude-test"},
                               {"max_tokens", 16},
                               {"stream", true},
                               {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  const auto anthropic = streamRequest("POST", gateway_.url("/v1/messages"),
                                       {{"Content-Type", "application/json"},
                                        {"x-api-key", kClientKey},
                                        {"anthropic-version", "2023-06-01"},
                                        {"x-mock-fail", "drop"}},
                                       body.dump());
  EXPECT_EQ(anthropic.status, 200);
  EXPECT_FALSE(anthropic.cleanEnd());
  EXPECT_EQ(anthropic.body.find("message_stop"), std::string::npos);
}

TEST_F(GatewayStream, UpstreamCloseBeforeAnswerIs502) {
  const auto response = gateway_.chat("gpt-test", kClientKey, {{"x-mock-fail", "close"}});
  EXPECT_EQ(response.status, 502) << response.body;
  EXPECT_EQ(response.json()["error"]["code"], "upstream_error");
  EXPECT_EQ(gateway_.metricValue("request_total", {{"type", "non-streaming"}, {"status", "error"}}),
            1.0);
}

}  // namespace
}  // namespace slotgate::testing
