// Upstream responses read strictly, end to end (SPEC section 3): a raw-socket upstream
// sends what no well-behaved provider sends, and the test reads the exact bytes that
// reach the client. No byte of an interim (1xx) answer ever reaches a client; 204 has no
// body; ambiguous framing is a 502 in the caller's format (or an aborted response once
// the head went out); an upstream connection is not reused after anything odd.
#include <gtest/gtest.h>

#include "tests/integration/gateway_fixture.h"
#include "tests/integration/raw_upstream.h"

namespace slotgate::testing {
namespace {

constexpr char kChatBody[] = R"({"id":"c1","object":"chat.completion","choices":[],)"
                             R"("usage":{"prompt_tokens":1,"completion_tokens":1}})";
constexpr char kChatRequestBody[] = R"({"model":"gpt-test","messages":[]})";
constexpr char kClaudeRequestBody[] =
    R"({"model":"claude-test","max_tokens":8,"messages":[{"role":"user","content":"hi"}]})";

// An upstream 200 "response" that the broken interim answers below smuggle in front of
// the real one; it must never reach a client.
const std::string kInjected =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n"
    "{\"evil\":true}";

class UpstreamStrict : public ::testing::Test {
 protected:
  UpstreamStrict()
      : upstream_([this](const RawUpstream::Request& request) { return reply(request); }),
        gateway_(config()) {}

  GatewayConfig config() const {
    GatewayConfig c;
    c.retries = 0;
    c.providers.push_back(
        makeProvider("raw", "openai", upstream_.baseUrl(), {{"raw-key", "sk-raw-0", 0}}));
    c.providers.push_back(makeProvider("raw-anthropic", "anthropic", upstream_.baseUrl(),
                                       {{"raw-anthropic-key", "sk-raw-1", 0}}));
    // Broken answers are this upstream's script, not an outage: the breakers stay out of it.
    for (auto& provider : c.providers) {
      provider.breaker = BreakerSpec{1000, "30s", 1};
    }
    c.models.push_back(makeModel("gpt-test", {{"raw", "raw-model"}}));
    c.models.push_back(makeModel("claude-test", {{"raw-anthropic", "raw-claude"}}));
    c.clients.push_back(makeClient("team-a", kClientKey));
    return c;
  }

  // The next upstream answer (set by each test before its request).
  RawUpstream::Reply reply(const RawUpstream::Request&) {
    std::lock_guard<std::mutex> lock(mutex_);
    return next_;
  }
  void answerWith(std::string bytes, bool close = false) {
    std::lock_guard<std::mutex> lock(mutex_);
    next_ = {std::move(bytes), close};
  }

  // One chat request on a fresh client connection that asks to be closed after the
  // answer: everything the client receives, byte for byte.
  std::string chatBytes(const std::string& path = "/v1/chat/completions",
                        const std::string& body = kChatRequestBody) const {
    const std::string request = "POST " + path + " HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer " +
                                kClientKey +
                                "\r\nContent-Type: application/json\r\nanthropic-version: "
                                "2023-06-01\r\nConnection: close\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
    return rawExchange(gateway_.port(), request, 10s);
  }

  std::mutex mutex_;
  RawUpstream::Reply next_;
  RawUpstream upstream_;
  Gateway gateway_;
};

TEST_F(UpstreamStrict, InterimAnswerWithABodyNeverReachesTheClient) {
  answerWith("HTTP/1.1 100 Continue\r\nContent-Length: " + std::to_string(kInjected.size()) +
             "\r\n\r\n" + kInjected + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
  const std::string got = chatBytes();
  EXPECT_EQ(got.rfind("HTTP/1.1 502 ", 0), 0u) << got;
  EXPECT_NE(got.find("\"code\":\"upstream_error\""), std::string::npos) << got;
  EXPECT_EQ(got.find("evil"), std::string::npos) << got;
  EXPECT_EQ(got.find("100 Continue"), std::string::npos) << got;
  EXPECT_EQ(occurrences(got, "HTTP/1.1 "), 1u) << got;
}

TEST_F(UpstreamStrict, InterimAnswerWithABodyIsAnAnthropicErrorOnMessages) {
  answerWith("HTTP/1.1 100 Continue\r\nTransfer-Encoding: chunked\r\n\r\n" + kInjected);
  const std::string got = chatBytes("/v1/messages", kClaudeRequestBody);
  EXPECT_EQ(got.rfind("HTTP/1.1 502 ", 0), 0u) << got;
  EXPECT_NE(got.find("\"type\":\"error\""), std::string::npos) << got;
  EXPECT_NE(got.find("\"api_error\""), std::string::npos) << got;
  EXPECT_EQ(got.find("evil"), std::string::npos) << got;
}

TEST_F(UpstreamStrict, InterimAnswersAreConsumed) {
  answerWith(
      "HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n"
      "HTTP/1.1 100 Continue\r\n\r\n" +
      std::string("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ") +
      std::to_string(std::string(kChatBody).size()) + "\r\n\r\n" + kChatBody);
  const std::string got = chatBytes();
  EXPECT_EQ(got.rfind("HTTP/1.1 200 ", 0), 0u) << got;
  EXPECT_EQ(occurrences(got, "HTTP/1.1 "), 1u) << got;
  EXPECT_EQ(got.find("Early Hints"), std::string::npos) << got;
  EXPECT_EQ(got.find("preload"), std::string::npos) << got;
  EXPECT_NE(got.find(kChatBody), std::string::npos) << got;
}

TEST_F(UpstreamStrict, NoContentHasNoBodyDownstream) {
  answerWith("HTTP/1.1 204 No Content\r\nX-Upstream: yes\r\n\r\n");
  // A second request pipelined behind the first (served by the gateway itself): the bytes
  // right after the 204 head must be the next status line, not a (chunked) body.
  const std::string chat =
      std::string("POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n") + "Authorization: Bearer " +
      kClientKey + "\r\nContent-Type: application/json\r\nContent-Length: " +
      std::to_string(std::string(kChatRequestBody).size()) + "\r\n\r\n" + kChatRequestBody;
  const std::string models = std::string("GET /v1/models HTTP/1.1\r\nHost: gw\r\n") +
                             "Authorization: Bearer " + kClientKey +
                             "\r\nConnection: close\r\n\r\n";
  const std::string got = rawExchange(gateway_.port(), chat + models, 10s);
  ASSERT_EQ(got.rfind("HTTP/1.1 204 ", 0), 0u) << got;
  const size_t head_end = got.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << got;
  const std::string head = got.substr(0, head_end);
  EXPECT_EQ(head.find("transfer-encoding"), std::string::npos) << head;
  EXPECT_EQ(head.find("content-length"), std::string::npos) << head;
  EXPECT_NE(head.find("x-upstream: yes"), std::string::npos) << head;
  EXPECT_EQ(got.substr(head_end + 4, 13), "HTTP/1.1 200 ") << got;
}

TEST_F(UpstreamStrict, AmbiguousFramingIsABadGateway) {
  const std::string cases[] = {
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nX-Big: " + std::string(70 << 10, 'a') +
          "\r\nContent-Length: 5\r\n\r\nhello",
  };
  for (const std::string& response : cases) {
    SCOPED_TRACE(response.substr(0, 80));
    answerWith(response);
    const std::string got = chatBytes();
    EXPECT_EQ(got.rfind("HTTP/1.1 502 ", 0), 0u) << got.substr(0, 300);
    EXPECT_NE(got.find("\"code\":\"upstream_error\""), std::string::npos) << got.substr(0, 300);
    EXPECT_EQ(got.find("hello"), std::string::npos) << got.substr(0, 300);
  }
  // Nothing odd is reused: every broken answer cost its connection.
  EXPECT_EQ(upstream_.connectionsAccepted(), static_cast<int>(std::size(cases)));
}

TEST_F(UpstreamStrict, BrokenChunkAfterTheHeadAbortsTheClientResponse) {
  answerWith(
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
      "6\r\ndata: XX0\r\n\r\n");
  const std::string got = chatBytes();
  EXPECT_EQ(got.rfind("HTTP/1.1 200 ", 0), 0u) << got;
  // The gateway closed the connection without the last chunk: not a clean end.
  EXPECT_EQ(got.find("\r\n0\r\n\r\n"), std::string::npos) << got;
  EXPECT_EQ(got.find("XX0"), std::string::npos) << got;
}

}  // namespace
}  // namespace slotgate::testing
