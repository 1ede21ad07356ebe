// Tokens on every OpenAI stream (issue 14), through the real binary with the real OpenAI Node
// SDK (tests/sdk, npm package `openai` pinned there): a default stream, which does not ask for
// usage, is asked for it upstream; its tokens reach the access line and the running totals
// while the SDK sees no usage chunk. A client that asked for usage gets it once; other
// stream_options keys are kept.
#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/integration/gateway_fixture.h"

namespace slotgate::testing {
namespace {

using nlohmann::json;

const std::string kSdkDir = std::string(SLOTGATE_SOURCE_DIR) + "/tests/sdk";

bool sdkInstalled() {
  return access((kSdkDir + "/node_modules/openai/package.json").c_str(), R_OK) == 0;
}

// Runs tests/sdk/openai_stream.mjs in `mode`; returns the JSON line it printed.
json runSdk(const Gateway& gateway, const std::string& mode, int chunks) {
  Process node(
      {"/usr/bin/env", "node", kSdkDir + "/openai_stream.mjs", mode, std::to_string(chunks)},
      {{"SLOTGATE_BASE_URL", gateway.url("/v1")},
       {"SLOTGATE_KEY", kClientKey},
       {"SLOTGATE_MODEL", "gpt-test"}});
  const auto code = node.waitExit(90s);
  EXPECT_EQ(code, 0) << node.stderrText();
  const json out = json::parse(node.stdoutText(), nullptr, false);
  EXPECT_TRUE(out.is_object()) << node.stdoutText() << node.stderrText();
  return out.is_object() ? out : json::object();
}

std::optional<json> accessLine(const Gateway& gateway, const std::string& request_id) {
  for (const json& line : gateway.accessLines()) {
    if (line.value("request_id", "") == request_id) {
      return line;
    }
  }
  return std::nullopt;
}

json runningTotals(const Gateway& gateway) {
  const HttpResponse r = request("GET", gateway.adminUrl("/metrics/running-totals?format=json"),
                                 {{"Authorization", "Bearer " + gateway.config().adminToken}});
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json();
}

// The body the mock received last.
std::string upstreamBody(const MockProvider& mock) {
  return mock.stats()["last_request"].value("body", "");
}

class SdkStreamUsage : public ::testing::Test {
 protected:
  void SetUp() override {
    // Like sdk_clients_test: a missing SDK is a failure, not a skip (test.sh runs npm ci).
    ASSERT_TRUE(sdkInstalled()) << "the OpenAI SDK is not installed: npm ci --prefix tests/sdk";
  }
};

TEST_F(SdkStreamUsage, ADefaultStreamIsCountedAndTheSdkSeesNoUsageChunk) {
  MockProvider mock;
  Gateway gateway(standardConfig(mock));
  const json out = runSdk(gateway, "default", 4);
  EXPECT_EQ(out["content"], "tok0 tok1 tok2 tok3 ");
  EXPECT_EQ(out["usage_chunks"], 0);
  EXPECT_EQ(out["usage"], nullptr);
  // Slotgate asked the provider for usage on the client's behalf.
  EXPECT_NE(upstreamBody(mock).find(R"("stream_options":{"include_usage":true})"),
            std::string::npos)
      << upstreamBody(mock);

  ASSERT_TRUE(eventually([&] { return accessLine(gateway, "sdk-default").has_value(); }, 20s));
  const json line = *accessLine(gateway, "sdk-default");
  EXPECT_EQ(line["input_tokens"], 10);
  EXPECT_EQ(line["output_tokens"], 4);
  EXPECT_EQ(line["usage"], "reported");
  EXPECT_EQ(line["streaming"], true);
  const json totals = runningTotals(gateway);
  const json& gpt = totals["providers"]["mock-openai"]["models"]["gpt-upstream"];
  EXPECT_EQ(gpt["input_tokens"], 10);
  EXPECT_EQ(gpt["output_tokens"], 4);
  EXPECT_EQ(gpt["cache_read_tokens"], 2);
  EXPECT_EQ(
      gateway.metricValue("slotgate_requests_without_usage_total", {{"provider", "mock-openai"}}),
      0.0);
}

TEST_F(SdkStreamUsage, AClientThatAsksForUsageGetsItOnce) {
  MockProvider mock;
  Gateway gateway(standardConfig(mock));
  const json out = runSdk(gateway, "include_usage", 3);
  EXPECT_EQ(out["content"], "tok0 tok1 tok2 ");
  EXPECT_EQ(out["usage_chunks"], 1);
  EXPECT_EQ(out["usage"]["prompt_tokens"], 10);
  EXPECT_EQ(out["usage"]["completion_tokens"], 3);
  // The body went up as the client sent it (the model aside): one include_usage.
  EXPECT_EQ(occurrences(upstreamBody(mock), "include_usage"), 1u) << upstreamBody(mock);
  ASSERT_TRUE(
      eventually([&] { return accessLine(gateway, "sdk-include_usage").has_value(); }, 20s));
  EXPECT_EQ((*accessLine(gateway, "sdk-include_usage"))["output_tokens"], 3);
}

TEST_F(SdkStreamUsage, OtherStreamOptionsKeysAreKept) {
  MockProvider mock;
  Gateway gateway(standardConfig(mock));
  const json out = runSdk(gateway, "other_stream_options", 2);
  EXPECT_EQ(out["content"], "tok0 tok1 ");
  EXPECT_EQ(out["usage_chunks"], 0);
  const json sent = json::parse(upstreamBody(mock));
  EXPECT_EQ(sent["stream_options"], json({{"include_usage", true}, {"include_obfuscation", false}}))
      << upstreamBody(mock);
  ASSERT_TRUE(
      eventually([&] { return accessLine(gateway, "sdk-other_stream_options").has_value(); }, 20s));
  EXPECT_EQ((*accessLine(gateway, "sdk-other_stream_options"))["output_tokens"], 2);
}

// Without the SDK: the switch, and streams that end early.

TEST(StreamUsage, TurnedOffTheStreamGoesUpAsSentAndIsMarkedWithoutUsage) {
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  config.providers[0].injectStreamUsage = false;
  Gateway gateway(config);
  const std::string body = kStreamedChatBody;
  const StreamResponse r = streamRequest("POST", gateway.url("/v1/chat/completions"),
                                         bearer(kClientKey, {{"x-request-id", "off-1"}}), body);
  ASSERT_TRUE(r.cleanEnd()) << r.error;
  EXPECT_EQ(
      upstreamBody(mock),
      R"({"model":"gpt-upstream","stream":true,"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(eventually([&] { return accessLine(gateway, "off-1").has_value(); }, 20s));
  const json line = *accessLine(gateway, "off-1");
  EXPECT_EQ(line["usage"], "none");
  EXPECT_EQ(line["input_tokens"], 0);
  EXPECT_EQ(
      gateway.metricValue("slotgate_requests_without_usage_total", {{"provider", "mock-openai"}}),
      1.0);
}

TEST(StreamUsage, AStreamThatBreaksRecordsWhatWasKnown) {
  MockProvider mock;
  Gateway gateway(standardConfig(mock));
  // OpenAI: the usage chunk would have come last, so nothing is known.
  const std::string chat = kStreamedChatBody;
  const StreamResponse openai = streamRequest(
      "POST", gateway.url("/v1/chat/completions"),
      bearer(kClientKey, {{"x-request-id", "drop-openai"}, {"x-mock-fail", "drop"}}), chat);
  EXPECT_FALSE(openai.cleanEnd());
  // Anthropic: message_start carried the input tokens before the break.
  const std::string messages =
      R"({"model":"claude-test","stream":true,"max_tokens":8,"messages":[{"role":"user","content":"hi"}]})";
  const StreamResponse anthropic = streamRequest("POST", gateway.url("/v1/messages"),
                                                 {{"x-api-key", kClientKey},
                                                  {"anthropic-version", "2023-06-01"},
                                                  {"content-type", "application/json"},
                                                  {"x-request-id", "drop-anthropic"},
                                                  {"x-mock-fail", "drop"}},
                                                 messages);
  EXPECT_FALSE(anthropic.cleanEnd());
  ASSERT_TRUE(eventually(
      [&] {
        return accessLine(gateway, "drop-openai").has_value() &&
               accessLine(gateway, "drop-anthropic").has_value();
      },
      20s));
  const json o = *accessLine(gateway, "drop-openai");
  EXPECT_EQ(o["usage"], "none");
  EXPECT_EQ(o["output_tokens"], 0);
  const json a = *accessLine(gateway, "drop-anthropic");
  EXPECT_EQ(a["usage"], "reported");
  EXPECT_EQ(a["input_tokens"], 10);
  EXPECT_EQ(
      gateway.metricValue("slotgate_requests_without_usage_total", {{"provider", "mock-openai"}}),
      1.0);
  EXPECT_EQ(gateway.metricValue("slotgate_requests_without_usage_total",
                                {{"provider", "mock-anthropic"}}),
            0.0);
}

}  // namespace
}  // namespace slotgate::testing
