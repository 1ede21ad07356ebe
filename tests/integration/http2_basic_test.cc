// HTTP/2 on the data port: cleartext prior knowledge (h2c), TLS with ALPN h2 and http/1.1,
// 100 concurrent streams on one connection (h2load), codec refusals and timeouts on HTTP/2.
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>

#include "tests/integration/http2_test_support.h"

namespace slotgate::testing::h2 {
namespace {

constexpr long kCurlHttp11 = 2;  // CURL_HTTP_VERSION_1_1
constexpr long kCurlHttp2 = 3;   // CURL_HTTP_VERSION_2_0

ClientOptions priorKnowledge() {
  ClientOptions o;
  o.version = HttpVersion::kHttp2PriorKnowledge;
  return o;
}

TEST(Http2, PriorKnowledgeChatCompletion) {
  MockProvider mock;
  Gateway gw(mock);
  const auto r = request("POST", gw.url("/v1/chat/completions"), authJson(), chatBody(false), 10s,
                         priorKnowledge());
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.httpVersion, kCurlHttp2);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["object"], "chat.completion");
  EXPECT_EQ(r.json()["usage"]["total_tokens"], 15);
  EXPECT_EQ(r.header("x-slotgate-key"), kProviderKeyId);
  EXPECT_EQ(r.header("x-slotgate-model"), "gpt-4o-mini");
  EXPECT_FALSE(r.header("x-request-id").empty());
  EXPECT_EQ(r.header("content-length"), std::to_string(r.body.size()));
  // The request body reached the provider unchanged but for the model.
  EXPECT_EQ(mock.stats()["last_request"]["path"], "/v1/chat/completions");
  EXPECT_EQ(mock.stats()["last_request"]["headers"]["authorization"], "Bearer mock-secret");
}

TEST(Http2, PriorKnowledgeStreamArrivesChunkByChunk) {
  MockProvider mock;
  Gateway gw(mock);
  const auto r = streamRequest("POST", gw.url("/v1/chat/completions"), pacedStreamHeaders(),
                               chatBody(true), 20s, {}, priorKnowledge());
  expectPacedStream(r);
}

TEST(Http2, CurlCliPriorKnowledgeAndHttp11OnTheSamePort) {
  MockProvider mock;
  Gateway gw(mock);
  Process curl({"curl", "-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w",
                "%{http_version} %{http_code}\n", "-H",
                std::string("Authorization: Bearer ") + kClientKey, gw.url("/v1/models")});
  ASSERT_EQ(curl.waitExit(10s), 0) << curl.stderrText();
  EXPECT_EQ(curl.stdoutText(), "2 200\n");
  const auto r = request("POST", gw.url("/v1/chat/completions"), authJson(), chatBody(false));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.httpVersion, kCurlHttp11);
  EXPECT_EQ(r.status, 200);
}

TEST(Http2, TlsAlpnH2AndHttp11) {
  TempDir dir;
  const auto [cert, key] = makeSelfSignedCert(dir);
  MockProvider mock;
  GatewayOptions options;
  options.extraServerYaml = "  tls: { cert: " + cert + ", key: " + key + " }\n";
  Gateway gw(mock, options);

  ClientOptions h2;
  h2.version = HttpVersion::kHttp2Tls;
  h2.caFile = cert;
  const auto r2 =
      request("POST", gw.url("/v1/chat/completions", true), authJson(), chatBody(false), 10s, h2);
  ASSERT_TRUE(r2.ok()) << r2.error;
  EXPECT_EQ(r2.httpVersion, kCurlHttp2);
  EXPECT_EQ(r2.status, 200);
  EXPECT_EQ(r2.json()["object"], "chat.completion");

  ClientOptions h1;
  h1.caFile = cert;
  const auto r1 =
      request("POST", gw.url("/v1/chat/completions", true), authJson(), chatBody(false), 10s, h1);
  ASSERT_TRUE(r1.ok()) << r1.error;
  EXPECT_EQ(r1.httpVersion, kCurlHttp11);
  EXPECT_EQ(r1.status, 200);

  Headers h = authJson();
  h.push_back({"x-mock-chunks", "4"});
  const auto s =
      streamRequest("POST", gw.url("/v1/chat/completions", true), h, chatBody(true), 20s, {}, h2);
  ASSERT_TRUE(s.cleanEnd()) << s.error;
  EXPECT_EQ(parseSse(s.body).back().data, "[DONE]");

  // A plaintext request on the TLS port is not served.
  const auto plain = request("GET", gw.url("/v1/models"), authJson(), "", 3s);
  EXPECT_NE(plain.status, 200);
}

TEST(Http2, H2loadHundredStreamsOnOneConnection) {
  MockProvider mock;
  Gateway gw(mock);
  TempDir dir;
  const std::string body = dir.writeFile("body.json", chatBody(false));
  Process h2load({"h2load", "-c1", "-m100", "-n1000", "-d", body, "-H",
                  std::string("authorization: Bearer ") + kClientKey, "-H",
                  "content-type: application/json", "-H", "x-mock-latency-ms: 20",
                  gw.url("/v1/chat/completions")});
  ASSERT_EQ(h2load.waitExit(60s), 0) << h2load.stderrText();
  const std::string out = h2load.stdoutText();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"((\d+) succeeded, (\d+) failed)"))) << out;
  EXPECT_EQ(m[1], "1000") << out;
  EXPECT_EQ(m[2], "0") << out;
  EXPECT_NE(out.find("1000 2xx"), std::string::npos) << out;
  const auto stats = mock.stats();
  EXPECT_EQ(stats["completed"], 1000);
  // The streams really ran concurrently upstream (20 ms each, 100 in flight).
  EXPECT_GE(stats["max_inflight"].get<int>(), 50);
  EXPECT_TRUE(eventually([&] { return gw.providerSlotsInUse() == 0; }));
}

TEST(Http2, BodyOverLimitGets413AndHeadersOverLimit431) {
  MockProvider mock;
  GatewayOptions options;
  options.extraServerYaml = "  max_request_body: 1KiB\n  max_header_bytes: 4KiB\n";
  Gateway gw(mock, options);
  const std::string big = R"({"model":"gpt-4o-mini","pad":")" + std::string(4000, 'x') + "\"}";
  const auto r =
      request("POST", gw.url("/v1/chat/completions"), authJson(), big, 10s, priorKnowledge());
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.json()["error"]["code"], "request_too_large");

  Headers h = authJson();
  h.push_back({"x-big", std::string(5000, 'a')});
  const auto r2 =
      request("POST", gw.url("/v1/chat/completions"), h, chatBody(false), 10s, priorKnowledge());
  ASSERT_TRUE(r2.ok()) << r2.error;
  EXPECT_EQ(r2.status, 431);
  EXPECT_EQ(mock.stats()["requests"], 0);

  // The connection survives a refused stream: the next one on it is served.
  RawH2 c(gw.port());
  ASSERT_TRUE(c.connected());
  Headers auth = {{"authorization", std::string("Bearer ") + kClientKey},
                  {"content-type", "application/json"}};
  c.request(1, "POST", "/v1/chat/completions", auth, big);
  c.request(3, "POST", "/v1/chat/completions", auth, chatBody(false));
  c.flush();
  ASSERT_TRUE(c.pumpUntil([&] { return c.stream(1).ended && c.stream(3).ended; }, 10s));
  EXPECT_EQ(c.stream(3).status, 200);
  EXPECT_EQ(c.stream(1).status, 413);
  // Answered before the whole upload was read: a RST_STREAM(NO_ERROR) may follow the answer.
  EXPECT_EQ(c.stream(1).resetCode, 0u);
}

TEST(Http2, UnauthenticatedStreamAnsweredAtOnceAndEndlessUploadCut) {
  MockProvider mock;
  GatewayOptions options;
  options.extraServerYaml = "  idle_timeout: 1s\n";
  Gateway gw(mock, options);
  RawH2 c(gw.port());
  // HEADERS and a body that never ends: 401 comes at once, without waiting for the body.
  c.request(1, "POST", "/v1/chat/completions", {{"content-type", "application/json"}}, "{",
            /*endStream=*/false);
  c.flush();
  ASSERT_TRUE(c.pumpUntil([&] { return c.stream(1).ended; }, 5s));
  EXPECT_EQ(c.stream(1).status, 401);
  EXPECT_FALSE(c.stream(1).reset);
  EXPECT_EQ(mock.stats()["requests"], 0);
  // The upload that never ends does not hold the connection: idle_timeout closes it.
  const auto from = Clock::now();
  ASSERT_TRUE(c.pumpUntil([&] { return c.peerClosed(); }, 5s));
  EXPECT_GE(Clock::now() - from, 800ms);
  ASSERT_TRUE(c.goawayCode().has_value());
  EXPECT_EQ(*c.goawayCode(), 0u);
}

TEST(Http2, IdleConnectionGetsGoawayAndCloses) {
  MockProvider mock;
  GatewayOptions options;
  options.extraServerYaml = "  idle_timeout: 1s\n";
  Gateway gw(mock, options);
  RawH2 c(gw.port());
  c.request(1, "GET", "/v1/models", {{"authorization", std::string("Bearer ") + kClientKey}}, "");
  c.flush();
  ASSERT_TRUE(c.pumpUntil([&] { return c.stream(1).ended; }, 5s));
  EXPECT_EQ(c.stream(1).status, 200);
  const auto idle_from = Clock::now();
  ASSERT_TRUE(c.pumpUntil([&] { return c.peerClosed(); }, 5s));
  EXPECT_GE(Clock::now() - idle_from, 800ms);
  ASSERT_TRUE(c.goawayCode().has_value());
  EXPECT_EQ(*c.goawayCode(), 0u);  // NO_ERROR
}

TEST(Http2, SilentConnectionClosedAfterHeaderTimeout) {
  MockProvider mock;
  GatewayOptions options;
  options.extraServerYaml = "  header_timeout: 500ms\n";
  Gateway gw(mock, options);
  // Preface and SETTINGS, then nothing: no request head within header_timeout.
  RawH2 c(gw.port());
  ASSERT_TRUE(c.pumpUntil([&] { return c.peerClosed(); }, 5s));
  EXPECT_TRUE(eventually([&] {
    return gw.metric("slotgate_http_rejects_total{reason=\"header_timeout\"}").value_or(0) >= 1;
  }));
}

TEST(Http2, DrainSendsGoawayAndFinishesOpenStreams) {
  MockProvider mock;
  Gateway gw(mock);
  RawH2 c(gw.port());
  // Held at the mock after its first event: open for certain when the drain starts.
  Headers h = {{"authorization", std::string("Bearer ") + kClientKey},
               {"content-type", "application/json"},
               {"x-mock-chunks", "5"},
               {"x-mock-hold", "h2-drain"}};
  c.keepData = true;
  c.request(1, "POST", "/v1/chat/completions", h, chatBody(true));
  c.flush();
  ASSERT_TRUE(c.pumpUntil([&] { return c.stream(1).dataBytes > 0; }, 20s));
  ASSERT_TRUE(mock.waitHeld("h2-drain", 1));
  ASSERT_TRUE(gw.process().signal(SIGTERM));
  ASSERT_TRUE(c.pumpUntil([&] { return c.goawayCode().has_value(); }, 20s));
  EXPECT_FALSE(c.stream(1).ended);
  EXPECT_EQ(mock.release("h2-drain"), 1);
  ASSERT_TRUE(c.pumpUntil([&] { return c.peerClosed(); }, 20s));
  EXPECT_TRUE(c.stream(1).ended);
  EXPECT_FALSE(c.stream(1).reset);
  EXPECT_NE(c.stream(1).data.find("data: [DONE]"), std::string::npos);
  ASSERT_TRUE(c.goawayCode().has_value());
  EXPECT_EQ(*c.goawayCode(), 0u);
  EXPECT_EQ(gw.process().waitExit(10s), 0);
}

}  // namespace
}  // namespace slotgate::testing::h2
