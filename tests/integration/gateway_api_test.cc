// slotgate end to end, data plane happy paths (SPEC section 3): the official request shapes of
// both APIs, stream and non-stream, the response headers, what the upstream receives (rewritten
// model, provider key, no client key, no hop-by-hop headers), chunk-by-chunk streaming,
// GET /v1/models and token usage in the access log.
#include <gtest/gtest.h>

#include <set>

#include "tests/integration/anthropic_headers.h"
#include "tests/integration/gateway_fixture.h"

namespace slotgate::testing {
namespace {

using nlohmann::json;

class GatewayApi : public ::testing::Test {
 protected:
  GatewayApi() : gateway_(standardConfig(mock_)) {}

  // The upstream's view of the last model request.
  json lastUpstream() const { return mock_.stats()["last_request"]; }

  MockProvider mock_;
  Gateway gateway_;
};

// Every header value the upstream saw, to look for leaked client secrets.
std::string allHeaderText(const json& last) {
  std::string text;
  for (const auto& [name, value] : last["headers"].items()) {
    text += name + ": " + value.get<std::string>() + "\n";
  }
  return text;
}

void expectGatewayHeaders(const std::multimap<std::string, std::string>& headers,
                          const std::string& provider, const std::string& model,
                          const std::string& key) {
  auto get = [&](const std::string& name) {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  };
  EXPECT_EQ(get("x-slotgate-provider"), provider);
  EXPECT_EQ(get("x-slotgate-model"), model);
  EXPECT_EQ(get("x-slotgate-key"), key);
  EXPECT_FALSE(get("x-request-id").empty());
}

// The upstream got the client's body unchanged except `model`.
void expectForwardedBody(const json& last, json sent, const std::string& upstreamModel) {
  sent["model"] = upstreamModel;
  EXPECT_EQ(json::parse(last["body"].get<std::string>(), nullptr, false), sent);
}

TEST_F(GatewayApi, ChatCompletionNonStream) {
  const json body = {
      {"model", "gpt-test"},
      {"temperature", 0.2},
      {"messages",
       {{{"role", "system"}, {"content", "be brief"}}, {{"role", "user"}, {"content", "hi"}}}}};
  const auto response = gateway_.post("/v1/chat/completions", body.dump());
  ASSERT_EQ(response.status, 200) << response.body;
  const json answer = response.json();
  EXPECT_EQ(answer["object"], "chat.completion");
  EXPECT_EQ(answer["model"], "gpt-upstream");
  EXPECT_EQ(answer["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(answer["usage"]["prompt_tokens"], 10);
  expectGatewayHeaders(response.headers, "mock-openai", "gpt-upstream", "openai-key");

  const json last = lastUpstream();
  EXPECT_EQ(last["path"], "/v1/chat/completions");
  EXPECT_EQ(last["method"], "POST");
  expectForwardedBody(last, body, "gpt-upstream");
  EXPECT_EQ(last["headers"]["authorization"], std::string("Bearer ") + kOpenAiSecret);
  EXPECT_EQ(allHeaderText(last).find(kClientKey), std::string::npos) << allHeaderText(last);
}

TEST_F(GatewayApi, ChatCompletionStreamViaAlias) {
  const json body = {{"model", "gt"},
                     {"stream", true},
                     {"stream_options", {{"include_usage", true}}},
                     {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  const auto response = streamRequest("POST", gateway_.url("/v1/chat/completions"),
                                      bearer(kClientKey, {{"x-mock-chunks", "4"}}), body.dump());
  ASSERT_TRUE(response.cleanEnd()) << response.error;
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.header("content-type").rfind("text/event-stream", 0), 0u);
  expectGatewayHeaders(response.headers, "mock-openai", "gpt-upstream", "openai-key");
  const auto events = parseSse(response.body);
  ASSERT_GE(events.size(), 6u);  // role + 4 content + finish/usage + [DONE]
  EXPECT_EQ(events.back().data, "[DONE]");
  const json first = json::parse(events.front().data, nullptr, false);
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["model"], "gpt-upstream");
  expectForwardedBody(lastUpstream(), body, "gpt-upstream");
}

TEST_F(GatewayApi, CompletionsEmbeddingsResponses) {
  const json completion = {{"model", "gpt-test"}, {"prompt", "Say hi"}, {"max_tokens", 5}};
  auto response = gateway_.post("/v1/completions", completion.dump());
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.json()["object"], "text_completion");
  EXPECT_EQ(lastUpstream()["path"], "/v1/completions");
  expectForwardedBody(lastUpstream(), completion, "gpt-upstream");

  json streamed = completion;
  streamed["stream"] = true;
  auto stream =
      streamRequest("POST", gateway_.url("/v1/completions"), bearer(kClientKey), streamed.dump());
  ASSERT_TRUE(stream.cleanEnd()) << stream.error;
  EXPECT_EQ(stream.status, 200);
  ASSERT_FALSE(parseSse(stream.body).empty());
  EXPECT_EQ(parseSse(stream.body).back().data, "[DONE]");

  const json embeddings = {{"model", "gpt-test"}, {"input", {"alpha", "beta"}}};
  response = gateway_.post("/v1/embeddings", embeddings.dump());
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.json()["object"], "list");
  EXPECT_EQ(response.json()["data"].size(), 2u);
  EXPECT_EQ(lastUpstream()["path"], "/v1/embeddings");
  expectForwardedBody(lastUpstream(), embeddings, "gpt-upstream");

  const json responses = {{"model", "gpt-test"}, {"input", "Tell me a joke"}};
  response = gateway_.post("/v1/responses", responses.dump());
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.json()["object"], "response");
  EXPECT_EQ(lastUpstream()["path"], "/v1/responses");
  expectForwardedBody(lastUpstream(), responses, "gpt-upstream");

  json responsesStream = responses;
  responsesStream["stream"] = true;
  stream = streamRequest("POST", gateway_.url("/v1/responses"), bearer(kClientKey),
                         responsesStream.dump());
  ASSERT_TRUE(stream.cleanEnd()) << stream.error;
  const auto events = parseSse(stream.body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event, "response.completed");
  EXPECT_EQ(mock_.stats()["by_path"]["/v1/responses"], 2);
}

TEST_F(GatewayApi, AnthropicMessagesNonStreamAndStream) {
  const json body = {{"model", "claude-test"},
                     {"max_tokens", 64},
                     {"messages", {{{"role", "user"}, {"content", "Hello, Claude"}}}}};
  const auto response =
      request("POST", gateway_.url("/v1/messages"), anthropicHeaders(kClientKey), body.dump());
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.json()["type"], "message");
  EXPECT_EQ(response.json()["model"], "claude-upstream");
  EXPECT_EQ(response.json()["usage"]["input_tokens"], 10);
  expectGatewayHeaders(response.headers, "mock-anthropic", "claude-upstream", "anthropic-key");

  json last = lastUpstream();
  EXPECT_EQ(last["path"], "/v1/messages");
  expectForwardedBody(last, body, "claude-upstream");
  EXPECT_EQ(last["headers"]["x-api-key"], kAnthropicSecret);
  EXPECT_EQ(last["headers"]["anthropic-version"], "2023-06-01");
  EXPECT_EQ(allHeaderText(last).find(kClientKey), std::string::npos) << allHeaderText(last);

  json streamed = body;
  streamed["stream"] = true;
  const auto stream =
      streamRequest("POST", gateway_.url("/v1/messages"),
                    anthropicHeaders(kClientKey, {{"x-mock-chunks", "3"}}), streamed.dump());
  ASSERT_TRUE(stream.cleanEnd()) << stream.error;
  EXPECT_EQ(stream.status, 200);
  const auto events = parseSse(stream.body);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.front().event, "message_start");
  EXPECT_EQ(events.back().event, "message_stop");
  last = lastUpstream();
  EXPECT_EQ(last["headers"]["x-api-key"], kAnthropicSecret);
  expectForwardedBody(last, streamed, "claude-upstream");
}

TEST_F(GatewayApi, RequestIdKeptOrGenerated) {
  auto response = gateway_.chat("gpt-test", kClientKey, {{"x-request-id", "client-req-42"}});
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.header("x-request-id"), "client-req-42");
  EXPECT_EQ(lastUpstream()["headers"]["x-request-id"], "client-req-42");

  response = gateway_.chat("gpt-test");
  ASSERT_EQ(response.status, 200);
  const std::string generated = response.header("x-request-id");
  EXPECT_GE(generated.size(), 8u);
  EXPECT_EQ(lastUpstream()["headers"]["x-request-id"], generated);
  const auto second = gateway_.chat("gpt-test");
  EXPECT_NE(second.header("x-request-id"), generated);

  // Errors carry it too.
  response = gateway_.chat("no-such-model", kClientKey, {{"x-request-id", "err-req-1"}});
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.header("x-request-id"), "err-req-1");
}

TEST_F(GatewayApi, HopByHopHeadersNotForwarded) {
  const auto response = gateway_.chat("gpt-test", kClientKey,
                                      {{"Connection", "keep-alive, X-Drop-Me"},
                                       {"X-Drop-Me", "1"},
                                       {"Keep-Alive", "timeout=5"},
                                       {"TE", "trailers"},
                                       {"Proxy-Authorization", "Basic cHJveHk6c2VjcmV0"},
                                       {"Proxy-Connection", "keep-alive"},
                                       {"X-Custom-End-To-End", "kept"}});
  ASSERT_EQ(response.status, 200) << response.body;
  const json headers = lastUpstream()["headers"];
  EXPECT_FALSE(headers.contains("x-drop-me")) << headers.dump();
  EXPECT_FALSE(headers.contains("keep-alive")) << headers.dump();
  EXPECT_FALSE(headers.contains("te")) << headers.dump();
  EXPECT_FALSE(headers.contains("proxy-authorization")) << headers.dump();
  EXPECT_FALSE(headers.contains("proxy-connection")) << headers.dump();
  EXPECT_EQ(headers.value("x-custom-end-to-end", ""), "kept");
}

TEST_F(GatewayApi, StreamChunksArriveSpreadInTime) {
  const auto response =
      gateway_.stream("gpt-test", kClientKey, {{"x-mock-chunks", "5"}, {"x-mock-delay-ms", "200"}});
  ASSERT_TRUE(response.cleanEnd()) << response.error;
  ASSERT_EQ(response.status, 200);
  ASSERT_GE(response.chunks.size(), 2u);
  // The mock needs ~1 s for the whole stream; the first bytes must not wait for the end.
  EXPECT_LT(response.chunks.front().at, response.chunks.back().at - 500ms);
  const auto events = parseSse(response.body);
  int content = 0;
  for (const auto& e : events) {
    const json data = json::parse(e.data, nullptr, false);
    if (data.is_object() && !data["choices"].empty() &&
        !data["choices"][0]["delta"].value("content", "").empty()) {
      ++content;
    }
  }
  EXPECT_EQ(content, 5);
}

TEST_F(GatewayApi, ModelsListPerClient) {
  auto ids = [&](const std::string& key) {
    const auto response = request("GET", gateway_.url("/v1/models"), bearer(key));
    EXPECT_EQ(response.status, 200) << response.body;
    const json body = response.json();
    EXPECT_EQ(body["object"], "list");
    std::set<std::string> out;
    for (const auto& m : body["data"]) {
      EXPECT_EQ(m["object"], "model");
      out.insert(m["id"].get<std::string>());
    }
    return out;
  };
  EXPECT_EQ(ids(kClientKey), (std::set<std::string>{"gpt-test", "gt", "claude-test", "ct"}));
  EXPECT_EQ(ids(kOtherClientKey), (std::set<std::string>{"claude-test", "ct"}));
  EXPECT_EQ(request("GET", gateway_.url("/v1/models")).status, 401);
  EXPECT_EQ(mock_.stats()["requests"], 0);
}

TEST_F(GatewayApi, TokenUsageInAccessLog) {
  ASSERT_EQ(gateway_.chat("gpt-test", kClientKey, {{"x-request-id", "usage-plain"}}).status, 200);
  ASSERT_TRUE(gateway_
                  .stream("gpt-test", kClientKey,
                          {{"x-request-id", "usage-stream"}, {"x-mock-chunks", "4"}})
                  .cleanEnd());
  const json anthropic = {{"model", "claude-test"},
                          {"max_tokens", 16},
                          {"stream", true},
                          {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  ASSERT_TRUE(streamRequest("POST", gateway_.url("/v1/messages"),
                            anthropicHeaders(kClientKey, {{"x-request-id", "usage-anthropic"},
                                                          {"x-mock-chunks", "6"}}),
                            anthropic.dump())
                  .cleanEnd());
  const auto lines = gateway_.waitAccessLines(3);
  std::map<std::string, json> byId;
  for (const auto& line : lines) {
    byId[line.value("request_id", "")] = line;
  }
  ASSERT_EQ(byId.count("usage-plain"), 1u);
  ASSERT_EQ(byId.count("usage-stream"), 1u);
  ASSERT_EQ(byId.count("usage-anthropic"), 1u);
  EXPECT_EQ(byId["usage-plain"]["input_tokens"], 10);
  EXPECT_EQ(byId["usage-plain"]["output_tokens"], 5);
  EXPECT_EQ(byId["usage-plain"]["status"], 200);
  EXPECT_EQ(byId["usage-plain"]["client"], "team-a");
  EXPECT_EQ(byId["usage-plain"]["provider"], "mock-openai");
  EXPECT_EQ(byId["usage-plain"]["key_id"], "openai-key");
  EXPECT_EQ(byId["usage-plain"]["streaming"], false);
  EXPECT_EQ(byId["usage-stream"]["input_tokens"], 10);
  EXPECT_EQ(byId["usage-stream"]["output_tokens"], 4);
  EXPECT_EQ(byId["usage-stream"]["streaming"], true);
  EXPECT_EQ(byId["usage-anthropic"]["input_tokens"], 10);
  EXPECT_EQ(byId["usage-anthropic"]["output_tokens"], 6);
}

}  // namespace
}  // namespace slotgate::testing
