// The strict HTTP/1.1 parser end to end (SPEC section 3, issue 9): request
// smuggling attempts over a raw socket get one 400 in the caller's API format
// and a closed connection, nothing after them is served, and not one byte
// reaches the upstream, a raw socket that records what it receives. Valid
// chunked requests reach it de-chunked, with their trailer fields dropped.
#include <gtest/gtest.h>

#include "tests/integration/gateway_fixture.h"
#include "tests/integration/recording_upstream.h"

namespace slotgate::testing {
namespace {

const std::string kBody = R"({"model":"gpt-test","messages":[{"role":"user","content":"hi"}]})";

std::string auth() { return std::string("Authorization: Bearer ") + kClientKey + "\r\n"; }
std::string length(const std::string& body) {
  return "Content-Length: " + std::to_string(body.size()) + "\r\n";
}
std::string hexSize(size_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%zx", n);
  return buf;
}

const std::string kChatHead = "POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n" + auth();
const std::string kChunkedHead = kChatHead + "Transfer-Encoding: chunked\r\n\r\n";
const std::string kValid = kChatHead + length(kBody) + "\r\n" + kBody;
const std::string kChunkedBody = hexSize(kBody.size()) + "\r\n" + kBody + "\r\n0\r\n\r\n";

struct Smuggle {
  const char* name;
  std::string bytes;
};

void PrintTo(const Smuggle& s, std::ostream* os) { *os << s.name; }

std::vector<Smuggle> smuggles() {
  return {
      // Forwarded next to slotgate's own content-length by the lenient parser.
      {"cl_space_before_colon_alone",
       kChatHead + "Content-Length : " + std::to_string(kBody.size()) + "\r\n\r\n" + kBody},
      {"cl_space_before_colon", kChatHead + length(kBody) + "Content-Length : 30\r\n\r\n" + kBody},
      {"te_space_before_colon",
       kChatHead + "Transfer-Encoding : chunked\r\n" + length(kBody) + "\r\n" + kBody},
      // A bare CR inside a value or ending the head, hiding a second request.
      {"bare_cr_in_value",
       kChatHead + "X-A: a\rContent-Length: 0\r\n" + length(kBody) + "\r\n" + kBody},
      {"bare_cr_hides_request",
       kChatHead + length(kBody) + "\rGET /v1/models HTTP/1.1\r\n\r\n" + kBody},
      {"nul_in_value",
       kChatHead + "X-A: a" + std::string(1, '\0') + "b\r\n" + length(kBody) + "\r\n" + kBody},
      {"ctl_in_name", kChatHead +
                          "X\x01"
                          "A: b\r\n" +
                          length(kBody) + "\r\n" + kBody},
      // Chunk framing.
      {"chunk_data_then_xx", kChunkedHead + hexSize(kBody.size()) + "\r\n" + kBody + "XX0\r\n\r\n"},
      {"chunk_size_0x",
       kChunkedHead + "0x" + hexSize(kBody.size()) + "\r\n" + kBody + "\r\n0\r\n\r\n"},
      {"chunk_size_overflow", kChunkedHead + "1000000000000000" + hexSize(kBody.size()) + "\r\n" +
                                  kBody + "\r\n0\r\n\r\n"},
      {"chunk_ext_bad",
       kChunkedHead + hexSize(kBody.size()) + ";a=\"b\r\n" + kBody + "\r\n0\r\n\r\n"},
      {"trailer_space_before_colon",
       kChunkedHead + hexSize(kBody.size()) + "\r\n" + kBody + "\r\n0\r\nX-T : 1\r\n\r\n"},
      // CL.TE, TE.CL, TE.TE, Content-Length forms.
      {"cl_te", kChatHead + length(kBody) + "Transfer-Encoding: chunked\r\n\r\n" + kChunkedBody},
      {"te_xchunked", kChatHead + "Transfer-Encoding: xchunked\r\n\r\n" + kChunkedBody},
      {"te_chunked_identity",
       kChatHead + "Transfer-Encoding: chunked, identity\r\n\r\n" + kChunkedBody},
      {"te_twice", kChatHead + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" +
                       kChunkedBody},
      {"cl_list", kChatHead + "Content-Length: " + std::to_string(kBody.size()) + ", " +
                      std::to_string(kBody.size()) + "\r\n\r\n" + kBody},
      {"cl_plus",
       kChatHead + "Content-Length: +" + std::to_string(kBody.size()) + "\r\n\r\n" + kBody},
      {"obs_fold", kChatHead + length(kBody) + "X-A: a\r\n b\r\n\r\n" + kBody},
      {"no_host",
       "POST /v1/chat/completions HTTP/1.1\r\n" + auth() + length(kBody) + "\r\n" + kBody},
      {"bad_version", "POST /v1/chat/completions HTTP/1.2\r\nHost: gw\r\n" + auth() +
                          length(kBody) + "\r\n" + kBody},
      {"fragment_in_target", "POST /v1/chat/completions#x HTTP/1.1\r\nHost: gw\r\n" + auth() +
                                 length(kBody) + "\r\n" + kBody},
  };
}

class Http1Strict : public ::testing::TestWithParam<Smuggle> {
 protected:
  static GatewayConfig config(const RecordingUpstream& upstream) {
    GatewayConfig c;
    c.providers.push_back(makeProvider("rec-openai", "openai", upstream.baseUrl(),
                                       {{"openai-key", kOpenAiSecret, 64}}));
    c.providers.push_back(makeProvider("rec-anthropic", "anthropic", upstream.baseUrl(),
                                       {{"anthropic-key", kAnthropicSecret, 64}}));
    c.models.push_back(makeModel("gpt-test", {{"rec-openai", "gpt-upstream"}}));
    c.models.push_back(makeModel("claude-test", {{"rec-anthropic", "claude-upstream"}}));
    c.clients.push_back(makeClient("team-a", kClientKey, 64));
    return c;
  }
  Http1Strict() : gateway_(config(upstream_)) {}

  RecordingUpstream upstream_;
  Gateway gateway_;
};

size_t countResponses(const std::string& received) {
  size_t n = 0;
  for (size_t at = received.find("HTTP/1.1 "); at != std::string::npos;
       at = received.find("HTTP/1.1 ", at + 1)) {
    ++n;
  }
  return n;
}

TEST_P(Http1Strict, RefusedWith400AndCloseAndNothingUpstream) {
  // A valid request pipelined behind the smuggling attempt must not be served either.
  const std::string bytes = GetParam().bytes + kValid;
  std::string received;
  const bool closed = rawConnectionClosedWithin(gateway_.port(), bytes, 5s, &received);
  EXPECT_EQ(received.rfind("HTTP/1.1 400", 0), 0u) << "got: " << received;
  EXPECT_TRUE(closed) << "connection left open after a malformed request";
  EXPECT_EQ(countResponses(received), 1u) << "something after the malformed request was served:\n"
                                          << received;
  // The answer is an OpenAI-format error (the path is /v1/chat/completions) when the request
  // line could be read at all.
  const size_t body_at = received.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos);
  const auto body = nlohmann::json::parse(received.substr(body_at + 4), nullptr, false);
  ASSERT_TRUE(body.is_object()) << received;
  EXPECT_EQ(body["error"]["type"], "invalid_request_error") << received;
  // Give a forwarded request every chance to arrive before concluding none did.
  gateway_.waitAccessLines(1, 2s);
  EXPECT_EQ(upstream_.bytes(), "") << "bytes of a malformed request reached the upstream";
}

INSTANTIATE_TEST_SUITE_P(Smuggling, Http1Strict, ::testing::ValuesIn(smuggles()),
                         [](const auto& info) { return std::string(info.param.name); });

class Http1StrictValid : public Http1Strict {};

TEST_F(Http1StrictValid, AnthropicPathGetsItsOwnErrorFormat) {
  const std::string body = R"({"model":"claude-test","max_tokens":5,"messages":[]})";
  std::string received;
  EXPECT_TRUE(rawConnectionClosedWithin(
      gateway_.port(),
      "POST /v1/messages HTTP/1.1\r\nHost: gw\r\nx-api-key: " + std::string(kClientKey) + "\r\n" +
          length(body) + "Content-Length : 30\r\n\r\n" + body,
      5s, &received));
  ASSERT_EQ(received.rfind("HTTP/1.1 400", 0), 0u) << received;
  const auto json =
      nlohmann::json::parse(received.substr(received.find("\r\n\r\n") + 4), nullptr, false);
  EXPECT_EQ(json["type"], "error") << received;
  EXPECT_EQ(json["error"]["type"], "invalid_request_error") << received;
  EXPECT_EQ(upstream_.bytes(), "");
}

TEST_F(Http1StrictValid, ChunkedBodyArrivesDechunkedWithoutItsTrailers) {
  const std::string first = kBody.substr(0, 10);
  const std::string rest = kBody.substr(10);
  const std::string request =
      kChatHead + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
      hexSize(first.size()) + ";ext=\"a b\"\r\n" + first + "\r\n" + hexSize(rest.size()) + "\r\n" +
      rest + "\r\n0\r\nX-Smuggled-Trailer: 1\r\nContent-Length: 99\r\n\r\n";
  const std::string received = rawExchange(gateway_.port(), request, 5s);
  EXPECT_EQ(received.rfind("HTTP/1.1 200", 0), 0u) << received;
  ASSERT_TRUE(eventually([&] { return upstream_.requests() == 1; }));
  const std::string upstream = upstream_.bytes();
  std::string lower = upstream;
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  EXPECT_EQ(lower.find("x-smuggled-trailer"), std::string::npos) << upstream;
  EXPECT_EQ(lower.find("content-length: 99"), std::string::npos) << upstream;
  EXPECT_EQ(lower.find("transfer-encoding"), std::string::npos) << upstream;
  // The body is forwarded as one Content-Length body (model rewritten to the provider's name).
  const size_t head_end = upstream.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  const auto forwarded = nlohmann::json::parse(upstream.substr(head_end + 4), nullptr, false);
  ASSERT_TRUE(forwarded.is_object()) << upstream;
  EXPECT_EQ(forwarded["model"], "gpt-upstream");
  EXPECT_EQ(forwarded["messages"][0]["content"], "hi");
  EXPECT_NE(lower.find("content-length: " + std::to_string(upstream.size() - head_end - 4)),
            std::string::npos)
      << upstream;
}

TEST_F(Http1StrictValid, TooManyFieldsIs431) {
  std::string fields;
  for (int i = 0; i < 101; ++i) {
    fields += "X-F" + std::to_string(i) + ": v\r\n";
  }
  std::string received;
  EXPECT_TRUE(rawConnectionClosedWithin(
      gateway_.port(), kChatHead + fields + length(kBody) + "\r\n" + kBody, 5s, &received));
  EXPECT_EQ(received.rfind("HTTP/1.1 431", 0), 0u) << received;
  EXPECT_EQ(upstream_.bytes(), "");
}

}  // namespace
}  // namespace slotgate::testing
