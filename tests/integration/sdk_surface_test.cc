// What the OpenAI and Anthropic SDKs expect of the gateway's surface (SPEC section 3):
// GET /v1/models/{id}, POST /v1/messages/count_tokens, Anthropic-format 404/405 under
// /v1/messages, `request-id` on Anthropic paths, and x-slotgate-* plus Date on the errors the
// gateway answers itself.
#include <gtest/gtest.h>

#include <future>
#include <regex>

#include "tests/integration/anthropic_headers.h"
#include "tests/integration/gateway_fixture.h"

namespace slotgate::testing {
namespace {

using nlohmann::json;

constexpr char kCountBody[] = R"({"model":"ct","messages":[{"role":"user","content":"hi"}]})";

// An IMF-fixdate (RFC 9110 5.6.7).
bool isHttpDate(const std::string& value) {
  static const std::regex kDate(
      R"(^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$)");
  return std::regex_match(value, kDate);
}

void expectOpenAiError(const HttpResponse& r, long status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  const json body = r.json();
  ASSERT_TRUE(body.contains("error")) << r.body;
  EXPECT_EQ(body["error"]["code"], code) << r.body;
  EXPECT_FALSE(body.contains("type")) << r.body;
}

void expectAnthropicError(const HttpResponse& r, long status, const std::string& type,
                          const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  const json body = r.json();
  EXPECT_EQ(body.value("type", ""), "error") << r.body;
  EXPECT_EQ(body["error"]["type"], type) << r.body;
  EXPECT_EQ(body["error"]["code"], code) << r.body;
  // The Anthropic SDKs read request-id; it is slotgate's request id.
  EXPECT_FALSE(r.header("x-request-id").empty());
  EXPECT_EQ(r.header("request-id"), r.header("x-request-id"));
}

class SdkSurface : public ::testing::Test {
 protected:
  SdkSurface() : gateway_(standardConfig(mock_)) {}
  HttpResponse get(const std::string& path, const std::string& key = kClientKey) const {
    return request("GET", gateway_.url(path), bearer(key));
  }
  HttpResponse countTokens(const std::string& body, const std::string& key = kClientKey,
                           const Headers& extra = {}) const {
    return request("POST", gateway_.url("/v1/messages/count_tokens"), anthropicHeaders(key, extra),
                   body);
  }

  MockProvider mock_;
  Gateway gateway_;
};

TEST_F(SdkSurface, ModelObjectForEveryListedNameAndNothingElse) {
  const json list = get("/v1/models").json();
  ASSERT_EQ(list["data"].size(), 4u);
  for (const auto& item : list["data"]) {
    const std::string id = item["id"];
    const HttpResponse r = get("/v1/models/" + id);
    ASSERT_EQ(r.status, 200) << id << ": " << r.body;
    EXPECT_EQ(r.json(), item) << "the object equals the list's entry";
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_FALSE(r.header("x-request-id").empty());
    EXPECT_TRUE(isHttpDate(r.header("date"))) << r.header("date");
    EXPECT_EQ(r.header("request-id"), "") << "OpenAI paths carry x-request-id only";
  }
  const json object = get("/v1/models/gt").json();
  EXPECT_EQ(object["id"], "gt");
  EXPECT_EQ(object["object"], "model");
  EXPECT_EQ(object["owned_by"], "slotgate");

  // A provider model name resolves for requests but is not listed, so not retrievable either.
  expectOpenAiError(get("/v1/models/gpt-upstream"), 404, "model_not_found");
  expectOpenAiError(get("/v1/models/no-such-model"), 404, "model_not_found");
  expectOpenAiError(get("/v1/models/"), 404, "model_not_found");
  expectOpenAiError(get("/v1/models/bad%zz"), 404, "model_not_found");
  EXPECT_EQ(get("/v1/models/no-such-model").json()["error"]["type"], "not_found_error");
}

TEST_F(SdkSurface, ModelObjectFollowsTheClientsModels) {
  // team-b may use claude-* only: gpt-test exists but is not its to see.
  expectOpenAiError(get("/v1/models/gpt-test", kOtherClientKey), 404, "model_not_found");
  expectOpenAiError(get("/v1/models/gt", kOtherClientKey), 404, "model_not_found");
  EXPECT_EQ(get("/v1/models/claude-test", kOtherClientKey).status, 200);
  EXPECT_EQ(get("/v1/models/ct", kOtherClientKey).status, 200);
  expectOpenAiError(get("/v1/models/gpt-test", "sk-wrong"), 401, "invalid_api_key");
  expectOpenAiError(request("POST", gateway_.url("/v1/models/gpt-test"), bearer(kClientKey), "{}"),
                    405, "method_not_allowed");
}

TEST_F(SdkSurface, ModelIdIsPercentDecoded) {
  GatewayConfig config = standardConfig(mock_);
  config.models.push_back(makeModel("org/model:v1", {{"mock-openai", "gpt-upstream"}}));
  Gateway gateway(config);
  const HttpResponse r =
      request("GET", gateway.url("/v1/models/org%2Fmodel%3Av1"), bearer(kClientKey));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["id"], "org/model:v1");
}

TEST_F(SdkSurface, CountTokensIsForwardedLikeMessages) {
  const HttpResponse r = countTokens(kCountBody, kClientKey, {{"x-request-id", "count-1"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), json::parse(R"({"input_tokens":10})"));
  EXPECT_EQ(r.header("x-request-id"), "count-1");
  EXPECT_EQ(r.header("request-id"), "count-1");
  EXPECT_EQ(r.header("x-slotgate-provider"), "mock-anthropic");
  EXPECT_EQ(r.header("x-slotgate-model"), "claude-upstream");
  EXPECT_EQ(r.header("x-slotgate-key"), "anthropic-key");
  const json upstream = mock_.stats()["last_request"];
  EXPECT_EQ(upstream["path"], "/v1/messages/count_tokens");
  EXPECT_EQ(upstream["headers"]["x-api-key"], kAnthropicSecret);
  EXPECT_EQ(upstream["headers"]["anthropic-version"], "2023-06-01");
  EXPECT_EQ(json::parse(upstream["body"].get<std::string>())["model"], "claude-upstream");

  // Model rules as for /v1/messages, errors in Anthropic's format.
  expectAnthropicError(countTokens(R"({"model":"nope","messages":[]})"), 404, "not_found_error",
                       "model_not_found");
  expectAnthropicError(countTokens(R"({"model":"gpt-test","messages":[]})"), 400,
                       "invalid_request_error", "invalid_request");
  expectAnthropicError(countTokens(R"({"messages":[]})"), 400, "invalid_request_error",
                       "invalid_request");
  expectAnthropicError(countTokens(kCountBody, "sk-wrong"), 401, "authentication_error",
                       "invalid_api_key");
  GatewayConfig restricted = standardConfig(mock_);
  restricted.clients[1].models = {"gpt-*"};
  Gateway other(restricted);
  expectAnthropicError(request("POST", other.url("/v1/messages/count_tokens"),
                               anthropicHeaders(kOtherClientKey), kCountBody),
                       403, "permission_error", "model_not_allowed");
}

TEST_F(SdkSurface, CountTokensNeedsNoSlotButIsCounted) {
  GatewayConfig config = standardConfig(mock_);
  config.clients[0].maxConcurrency = 1;
  config.providers[1].keys[0].maxConcurrency = 1;
  Gateway gateway(config);
  // A message held at the mock holds the client's only slot and the provider key's only slot.
  auto slow = std::async(std::launch::async, [&] {
    return request("POST", gateway.url("/v1/messages"),
                   anthropicHeaders(kClientKey, mockHold("slot")),
                   R"({"model":"ct","max_tokens":4,"messages":[]})", 60s);
  });
  ASSERT_TRUE(mock_.waitHeld("slot", 1));
  const HttpResponse blocked =
      request("POST", gateway.url("/v1/messages"), anthropicHeaders(kClientKey),
              R"({"model":"ct","max_tokens":4,"messages":[]})");
  EXPECT_EQ(blocked.status, 429) << "the slot is taken";
  const HttpResponse count = request("POST", gateway.url("/v1/messages/count_tokens"),
                                     anthropicHeaders(kClientKey), kCountBody);
  EXPECT_EQ(count.status, 200) << count.body;
  EXPECT_EQ(mock_.release("slot"), 1);
  EXPECT_EQ(slow.get().status, 200);
  // Counted like any request: request_total and the per-model series.
  EXPECT_EQ(gateway.metricValue("request_total").value_or(0), 3);
  EXPECT_EQ(gateway.metricValue("request_total", {{"status", "success"}}).value_or(0), 2);
}

TEST_F(SdkSurface, AnthropicPathsAnswer404And405InAnthropicFormat) {
  expectAnthropicError(request("GET", gateway_.url("/v1/messages"), anthropicHeaders(kClientKey)),
                       405, "invalid_request_error", "method_not_allowed");
  expectAnthropicError(
      request("GET", gateway_.url("/v1/messages/count_tokens"), anthropicHeaders(kClientKey)), 405,
      "invalid_request_error", "method_not_allowed");
  expectAnthropicError(
      request("POST", gateway_.url("/v1/messages/batches"), anthropicHeaders(kClientKey), "{}"),
      404, "invalid_request_error", "not_found");
  // Other unknown paths stay OpenAI-shaped.
  expectOpenAiError(request("POST", gateway_.url("/v1/messagesx"), bearer(kClientKey), "{}"), 404,
                    "not_found");
  expectOpenAiError(request("POST", gateway_.url("/v1/nope"), bearer(kClientKey), "{}"), 404,
                    "not_found");
}

TEST_F(SdkSurface, RequestIdOnEveryAnthropicAnswer) {
  const std::string body = R"({"model":"ct","max_tokens":4,"messages":[]})";
  HttpResponse r = request("POST", gateway_.url("/v1/messages"),
                           anthropicHeaders(kClientKey, {{"x-request-id", "anth-1"}}), body);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("request-id"), "anth-1");
  r = request("POST", gateway_.url("/v1/messages"), anthropicHeaders("sk-wrong"), body);
  expectAnthropicError(r, 401, "authentication_error", "invalid_api_key");
  r = request("POST", gateway_.url("/v1/messages"), anthropicHeaders(kClientKey),
              R"({"model":"nope","max_tokens":4,"messages":[]})");
  expectAnthropicError(r, 404, "not_found_error", "model_not_found");
  // An upstream error passed through carries slotgate's request-id, not the provider's.
  r = request("POST", gateway_.url("/v1/messages"),
              anthropicHeaders(kClientKey, {{"x-mock-fail", "400"}}), body);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.headers.count("request-id"), 1u);
  EXPECT_EQ(r.header("request-id"), r.header("x-request-id"));
  // OpenAI paths: x-request-id only.
  EXPECT_EQ(gateway_.chat("gpt-test").header("request-id"), "");
}

TEST(SdkSurfaceErrors, GatewayErrorsNameTheTargetAndCarryADate) {
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  config.retries = 0;
  config.providers[1].requestTimeout = "1s";
  Gateway gateway(config);

  // 502: the upstream closed without an answer.
  HttpResponse r = gateway.chat("gpt-test", kClientKey, {{"x-mock-fail", "close"}});
  expectOpenAiError(r, 502, "upstream_error");
  EXPECT_EQ(r.header("x-slotgate-provider"), "mock-openai");
  EXPECT_EQ(r.header("x-slotgate-model"), "gpt-upstream");
  EXPECT_EQ(r.header("x-slotgate-key"), "openai-key");
  EXPECT_TRUE(isHttpDate(r.header("date"))) << r.header("date");

  // 504 on an Anthropic path: the same, plus request-id.
  r = request("POST", gateway.url("/v1/messages"),
              anthropicHeaders(kClientKey, {{"x-mock-fail", "hang"}}),
              R"({"model":"ct","max_tokens":4,"messages":[]})", 20s);
  expectAnthropicError(r, 504, "timeout_error", "upstream_timeout");
  EXPECT_EQ(r.header("x-slotgate-provider"), "mock-anthropic");
  EXPECT_EQ(r.header("x-slotgate-model"), "claude-upstream");
  EXPECT_EQ(r.header("x-slotgate-key"), "anthropic-key");
  EXPECT_TRUE(isHttpDate(r.header("date")));

  // Refused before a target was chosen: nothing to name, but still dated.
  r = gateway.chat("no-such-model");
  expectOpenAiError(r, 404, "model_not_found");
  EXPECT_EQ(r.header("x-slotgate-provider"), "");
  EXPECT_TRUE(isHttpDate(r.header("date")));
  r = request("POST", gateway.url("/v1/nope"), bearer(kClientKey), "{}");
  EXPECT_TRUE(isHttpDate(r.header("date")));
}

}  // namespace
}  // namespace slotgate::testing
