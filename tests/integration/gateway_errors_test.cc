// slotgate end to end, error answers (SPEC section 3): status, error.code and error.type in the
// caller's API format, 413/431 limits, upstream connect failure and timeout, retries to the
// next target, upstream 4xx and exhausted 5xx passed through as the provider sent them.
#include <gtest/gtest.h>

#include "tests/integration/anthropic_headers.h"
#include "tests/integration/gateway_fixture.h"

namespace slotgate::testing {
namespace {

using nlohmann::json;

// An OpenAI-format error body: {"error":{"message","type","code"}}.
void expectOpenAiError(const HttpResponse& response, long status, const std::string& type,
                       const std::string& code) {
  EXPECT_EQ(response.status, status) << response.body;
  EXPECT_EQ(response.header("content-type").rfind("application/json", 0), 0u);
  const json body = response.json();
  ASSERT_TRUE(body.is_object()) << response.body;
  ASSERT_TRUE(body.contains("error")) << response.body;
  EXPECT_TRUE(body["error"]["message"].is_string()) << response.body;
  EXPECT_FALSE(body["error"]["message"].get<std::string>().empty());
  EXPECT_EQ(body["error"]["type"], type) << response.body;
  EXPECT_EQ(body["error"]["code"], code) << response.body;
}

// An Anthropic-format error body: {"type":"error","error":{"type","message"}}.
void expectAnthropicError(const HttpResponse& response, long status, const std::string& type) {
  EXPECT_EQ(response.status, status) << response.body;
  const json body = response.json();
  ASSERT_TRUE(body.is_object()) << response.body;
  EXPECT_EQ(body["type"], "error") << response.body;
  EXPECT_EQ(body["error"]["type"], type) << response.body;
  EXPECT_TRUE(body["error"]["message"].is_string()) << response.body;
}

const std::string kClaudeBody =
    R"({"model":"claude-test","max_tokens":8,"messages":[{"role":"user","content":"hi"}]})";

class GatewayErrors : public ::testing::Test {
 protected:
  static GatewayConfig config(const MockProvider& mock) {
    GatewayConfig c = standardConfig(mock);
    c.maxRequestBody = "1KiB";
    c.maxHeaderBytes = "4KiB";
    return c;
  }
  GatewayErrors() : gateway_(config(mock_)) {}

  MockProvider mock_;
  Gateway gateway_;
};

TEST_F(GatewayErrors, Unauthorized) {
  expectOpenAiError(gateway_.chat("gpt-test", ""), 401, "authentication_error", "invalid_api_key");
  expectOpenAiError(gateway_.chat("gpt-test", "sk-wrong-key-000"), 401, "authentication_error",
                    "invalid_api_key");
  // x-api-key works for OpenAI paths too; a wrong one is still 401.
  expectOpenAiError(request("POST", gateway_.url("/v1/chat/completions"),
                            {{"x-api-key", "sk-wrong-key-000"}}, R"({"model":"gpt-test"})"),
                    401, "authentication_error", "invalid_api_key");
  expectAnthropicError(
      request("POST", gateway_.url("/v1/messages"), anthropicHeaders(""), kClaudeBody), 401,
      "authentication_error");
  expectAnthropicError(request("POST", gateway_.url("/v1/messages"),
                               anthropicHeaders("sk-wrong-key-000"), kClaudeBody),
                       401, "authentication_error");
  // Auth comes before the body checks.
  expectOpenAiError(gateway_.post("/v1/chat/completions", "{not json", "sk-wrong"), 401,
                    "authentication_error", "invalid_api_key");
  EXPECT_EQ(mock_.stats()["requests"], 0);
}

TEST_F(GatewayErrors, ForbiddenAndNotFound) {
  expectOpenAiError(gateway_.chat("gpt-test", kOtherClientKey), 403, "permission_error",
                    "model_not_allowed");
  expectOpenAiError(gateway_.chat("gt", kOtherClientKey), 403, "permission_error",
                    "model_not_allowed");
  expectOpenAiError(gateway_.chat("no-such-model"), 404, "not_found_error", "model_not_found");
  expectAnthropicError(request("POST", gateway_.url("/v1/messages"), anthropicHeaders(kClientKey),
                               R"({"model":"no-such-model","max_tokens":8,"messages":[]})"),
                       404, "not_found_error");
  // Resolve (404) answers before the client's models list (403).
  expectOpenAiError(gateway_.chat("no-such-model", kOtherClientKey), 404, "not_found_error",
                    "model_not_found");
  expectOpenAiError(gateway_.post("/v1/unknown/path", R"({"model":"gpt-test"})"), 404,
                    "invalid_request_error", "not_found");
  expectOpenAiError(request("GET", gateway_.url("/v1/chat/completions"), bearer(kClientKey)), 405,
                    "invalid_request_error", "method_not_allowed");
  expectOpenAiError(request("DELETE", gateway_.url("/v1/models"), bearer(kClientKey)), 405,
                    "invalid_request_error", "method_not_allowed");
  EXPECT_EQ(mock_.stats()["requests"], 0);
}

TEST_F(GatewayErrors, BadRequests) {
  expectOpenAiError(gateway_.post("/v1/chat/completions", "{not json"), 400,
                    "invalid_request_error", "invalid_request");
  expectOpenAiError(gateway_.post("/v1/chat/completions", R"({"messages":[]})"), 400,
                    "invalid_request_error", "invalid_request");
  expectOpenAiError(gateway_.post("/v1/chat/completions", R"({"model":123})"), 400,
                    "invalid_request_error", "invalid_request");
  expectOpenAiError(gateway_.post("/v1/chat/completions", R"(["model","gpt-test"])"), 400,
                    "invalid_request_error", "invalid_request");
  expectAnthropicError(
      request("POST", gateway_.url("/v1/messages"), anthropicHeaders(kClientKey), "{not json"), 400,
      "invalid_request_error");
  // A model with no target that speaks the path's API.
  const auto wrongApi = request("POST", gateway_.url("/v1/messages"), anthropicHeaders(kClientKey),
                                R"({"model":"gpt-test","max_tokens":8,"messages":[]})");
  expectAnthropicError(wrongApi, 400, "invalid_request_error");
  const std::string message = wrongApi.json()["error"]["message"].get<std::string>();
  EXPECT_NE(message.find("gpt-test"), std::string::npos) << message;
  EXPECT_NE(message.find("/v1/messages"), std::string::npos) << message;
  const auto wrongApi2 = gateway_.post("/v1/embeddings", R"({"model":"claude-test","input":"x"})");
  expectOpenAiError(wrongApi2, 400, "invalid_request_error", "invalid_request");
  EXPECT_NE(wrongApi2.body.find("claude-test"), std::string::npos) << wrongApi2.body;
  EXPECT_NE(wrongApi2.body.find("/v1/embeddings"), std::string::npos) << wrongApi2.body;
  EXPECT_EQ(mock_.stats()["requests"], 0);
}

TEST_F(GatewayErrors, BodyTooLarge) {
  const std::string big = R"({"model":"gpt-test","pad":")" + std::string(2048, 'x') + "\"}";
  expectOpenAiError(gateway_.post("/v1/chat/completions", big), 413, "request_too_large",
                    "request_too_large");
  expectAnthropicError(
      request("POST", gateway_.url("/v1/messages"), anthropicHeaders(kClientKey), big), 413,
      "request_too_large");

  // The same over chunked transfer encoding, where the size is only known while reading.
  RawConnection conn(gateway_.port());
  ASSERT_TRUE(conn.connected());
  std::string head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                     std::string(kClientKey) +
                     "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  conn.send(head);
  std::string chunked;
  const std::string piece = "{\"model\":\"gpt-test\",\"pad\":\"" + std::string(400, 'y');
  for (int i = 0; i < 6; ++i) {
    const std::string data = i == 0 ? piece : std::string(400, 'z');
    char size[16];
    snprintf(size, sizeof(size), "%zx", data.size());
    chunked += std::string(size) + "\r\n" + data + "\r\n";
  }
  chunked += "3\r\n\"}\n\r\n0\r\n\r\n";
  conn.send(chunked);
  conn.readFor(1500ms);
  EXPECT_EQ(conn.received().rfind("HTTP/1.1 413", 0), 0u) << conn.received();
  EXPECT_NE(conn.received().find("request_too_large"), std::string::npos);
  EXPECT_EQ(mock_.stats()["requests"], 0);
}

TEST_F(GatewayErrors, HeadersTooLarge) {
  auto response = gateway_.chat("gpt-test", kClientKey, {{"X-Big", std::string(6000, 'h')}});
  EXPECT_EQ(response.status, 431) << response.body;
  Headers many;
  for (int i = 0; i < 101; ++i) {
    many.emplace_back("X-F" + std::to_string(i), "v");
  }
  response = gateway_.chat("gpt-test", kClientKey, many);
  EXPECT_EQ(response.status, 431) << response.body;
  EXPECT_EQ(mock_.stats()["requests"], 0);
  // Just under the field limit is fine (101 fields including Host, Authorization, ...).
  many.resize(90);
  EXPECT_EQ(gateway_.chat("gpt-test", kClientKey, many).status, 200);
}

TEST_F(GatewayErrors, UpstreamFourHundredPassedThrough) {
  const auto direct = request("POST", mock_.url("/v1/chat/completions"), {{"x-mock-fail", "400"}},
                              R"({"model":"gpt-upstream"})");
  ASSERT_EQ(direct.status, 400);
  const auto response = gateway_.chat("gpt-test", kClientKey, {{"x-mock-fail", "400"}});
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.body, direct.body);
  EXPECT_EQ(response.header("x-slotgate-provider"), "mock-openai");
  // No retry for a 4xx.
  EXPECT_EQ(mock_.stats()["requests"], 2);  // the direct call + one through the gateway
}

TEST_F(GatewayErrors, UpstreamTimeout) {
  // Own gateway: a provider with a short request_timeout.
  GatewayConfig c = standardConfig(mock_);
  c.providers[0].requestTimeout = "500ms";
  Gateway gateway(c);
  const auto response = gateway.chat("gpt-test", kClientKey, {{"x-mock-fail", "hang"}});
  expectOpenAiError(response, 504, "timeout_error", "upstream_timeout");
  EXPECT_EQ(gateway.metricValue("upstream_timeouts_total", {{"provider", "mock-openai"}}), 1.0);
  EXPECT_TRUE(eventually([&] { return mock_.stats()["inflight"] == 0; }, 20s));
}

TEST(GatewayUpstream, ConnectFailureIs502) {
  MockProvider mock;
  GatewayConfig c = standardConfig(mock);
  c.providers[0].baseUrl = "http://127.0.0.1:" + std::to_string(freePort());
  Gateway gateway(c);
  expectOpenAiError(gateway.chat("gpt-test"), 502, "api_error", "upstream_error");
  const auto anthropicDown = [&] {
    GatewayConfig a = standardConfig(mock);
    a.providers[1].baseUrl = c.providers[0].baseUrl;
    return a;
  }();
  Gateway gateway2(anthropicDown);
  expectAnthropicError(
      request("POST", gateway2.url("/v1/messages"), anthropicHeaders(kClientKey), kClaudeBody), 502,
      "api_error");
}

// Model "gpt-retry": first target on a mock that always answers 500, second on a healthy one.
GatewayConfig retryConfig(const MockProvider& failing, const MockProvider& healthy, int retries) {
  GatewayConfig c;
  c.retries = retries;
  c.providers.push_back(
      makeProvider("first", "openai", failing.baseUrl(), {{"first-key", "sk-first-secret", 4}}));
  c.providers.push_back(
      makeProvider("second", "openai", healthy.baseUrl(), {{"second-key", "sk-second-secret", 4}}));
  c.models.push_back(makeModel("gpt-retry", {{"first", "m-first"}, {"second", "m-second"}}));
  c.clients.push_back(makeClient("team-a", kClientKey));
  return c;
}

TEST(GatewayRetry, RetriesOnTheSecondTarget) {
  MockProvider failing({"--fail", "500"});
  MockProvider healthy;
  Gateway gateway(retryConfig(failing, healthy, 1));
  const auto response = gateway.chat("gpt-retry");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.header("x-slotgate-provider"), "second");
  EXPECT_EQ(response.header("x-slotgate-model"), "m-second");
  EXPECT_EQ(response.header("x-slotgate-key"), "second-key");
  EXPECT_EQ(failing.stats()["requests"], 1);
  EXPECT_EQ(healthy.stats()["requests"], 1);
  EXPECT_EQ(json::parse(healthy.stats()["last_request"]["body"].get<std::string>())["model"],
            "m-second");
  EXPECT_EQ(healthy.stats()["last_request"]["headers"]["authorization"], "Bearer sk-second-secret");
}

TEST(GatewayRetry, FiveHundredPassedThroughOnceRetriesAreExhausted) {
  MockProvider failing({"--fail", "500"});
  MockProvider alsoFailing({"--fail", "500"});
  Gateway gateway(retryConfig(failing, alsoFailing, 1));
  const auto direct =
      request("POST", alsoFailing.url("/v1/chat/completions"), {}, R"({"model":"m-second"})");
  ASSERT_EQ(direct.status, 500);
  const auto response = gateway.chat("gpt-retry");
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body, direct.body);
  EXPECT_EQ(failing.stats()["requests"], 1);
  EXPECT_EQ(alsoFailing.stats()["requests"], 2);

  // With retries: 0 the first answer is the last.
  Gateway noRetry(retryConfig(failing, alsoFailing, 0));
  failing.reset();
  alsoFailing.reset();
  EXPECT_EQ(noRetry.chat("gpt-retry").status, 500);
  EXPECT_EQ(failing.stats()["requests"], 1);
  EXPECT_EQ(alsoFailing.stats()["requests"], 0);
}

}  // namespace
}  // namespace slotgate::testing
