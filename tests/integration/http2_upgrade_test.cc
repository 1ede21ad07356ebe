// Cleartext HTTP/2 via "Upgrade: h2c" (RFC 7540 3.2), as `curl --http2 http://...` asks for it:
// the request that asks is answered as HTTP/2 stream 1 after a 101, and requests that do not
// qualify (bad HTTP2-Settings, pipelined) are served as HTTP/1.1.
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "tests/integration/http2_test_support.h"

namespace slotgate::testing::h2 {
namespace {

constexpr long kCurlHttp11 = 2;  // CURL_HTTP_VERSION_1_1
constexpr long kCurlHttp2 = 3;   // CURL_HTTP_VERSION_2_0

// What curl 7.88 sends: MAX_CONCURRENT_STREAMS 100, INITIAL_WINDOW_SIZE 32 MiB, ENABLE_PUSH 0.
constexpr char kValidSettings[] = "AAMAAABkAAQCAAAAAAIAAAAA";

ClientOptions http2() {
  ClientOptions o;
  o.version = HttpVersion::kHttp2;
  return o;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// An HTTP/1.1 request head asking for h2c with `settings` as HTTP2-Settings.
std::string upgradeHead(const std::string& path, const std::string& settings) {
  return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + kClientKey +
         "\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: " + settings +
         "\r\n\r\n";
}

std::string lower(std::string s) {
  for (auto& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

TEST(H2cUpgrade, CurlCliChatCompletionIsServedOverHttp2) {
  MockProvider mock;
  Gateway gw(mock);
  TempDir dir;
  const std::string out = dir.path() + "/body.json";
  Process curl({"curl", "-sS", "--http2", "-o", out, "-w", "%{http_version} %{http_code}\n", "-H",
                std::string("Authorization: Bearer ") + kClientKey, "-H",
                "Content-Type: application/json", "--data-binary", chatBody(false),
                gw.url("/v1/chat/completions")});
  ASSERT_EQ(curl.waitExit(10s), 0) << curl.stderrText();
  EXPECT_EQ(curl.stdoutText(), "2 200\n");
  const auto body = nlohmann::json::parse(readFile(out), nullptr, false);
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["usage"]["total_tokens"], 15);
  // The upgraded request reached the provider with its body, without the hop-by-hop fields.
  const auto last = mock.stats()["last_request"];
  EXPECT_EQ(last["path"], "/v1/chat/completions");
  EXPECT_NE(last["body"].get<std::string>().find("\"messages\""), std::string::npos);
  EXPECT_EQ(last["headers"]["authorization"], "Bearer mock-secret");
  for (const char* hop : {"upgrade", "http2-settings", "connection"}) {
    for (const auto& [name, value] : last["headers"].items()) {
      EXPECT_NE(lower(name), hop) << value;
    }
  }
  EXPECT_TRUE(eventually([&] { return gw.providerSlotsInUse() == 0; }));
}

TEST(H2cUpgrade, LibcurlChatCompletionHasHttp2HeadersAndBody) {
  MockProvider mock;
  Gateway gw(mock);
  const auto r =
      request("POST", gw.url("/v1/chat/completions"), authJson(), chatBody(false), 10s, http2());
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.httpVersion, kCurlHttp2);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["object"], "chat.completion");
  EXPECT_EQ(r.header("x-slotgate-model"), "gpt-4o-mini");
  EXPECT_EQ(r.header("content-length"), std::to_string(r.body.size()));
  EXPECT_EQ(mock.stats()["requests"], 1);
  EXPECT_TRUE(eventually([&] { return gw.providerSlotsInUse() == 0; }));
}

TEST(H2cUpgrade, StreamArrivesChunkByChunkAndEndsCleanly) {
  MockProvider mock;
  Gateway gw(mock);
  const auto r = streamRequest("POST", gw.url("/v1/chat/completions"), pacedStreamHeaders(),
                               chatBody(true), 20s, {}, http2());
  expectPacedStream(r);
  EXPECT_TRUE(eventually([&] { return gw.providerSlotsInUse() == 0; }));
}

TEST(H2cUpgrade, MalformedOrDuplicateSettingsAreServedAsHttp11) {
  MockProvider mock;
  Gateway gw(mock);
  Headers upgrade = authJson();
  upgrade.push_back({"Connection", "Upgrade, HTTP2-Settings"});
  upgrade.push_back({"Upgrade", "h2c"});
  Headers malformed = upgrade;
  malformed.push_back({"HTTP2-Settings", "not+base64url!"});
  const auto r = request("POST", gw.url("/v1/chat/completions"), malformed, chatBody(false), 10s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.httpVersion, kCurlHttp11);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["object"], "chat.completion");

  Headers duplicate = upgrade;
  duplicate.push_back({"HTTP2-Settings", kValidSettings});
  duplicate.push_back({"HTTP2-Settings", kValidSettings});
  const auto d = request("POST", gw.url("/v1/chat/completions"), duplicate, chatBody(false), 10s);
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(d.httpVersion, kCurlHttp11);
  EXPECT_EQ(d.status, 200);

  // Decodes, but ENABLE_PUSH = 2 would be a connection error in a SETTINGS frame.
  const std::string bad_value = rawExchange(gw.port(), upgradeHead("/v1/models", "AAIAAAAC"), 3s);
  EXPECT_EQ(bad_value.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << bad_value;
  EXPECT_EQ(mock.stats()["requests"], 2);
  EXPECT_TRUE(eventually([&] { return gw.providerSlotsInUse() == 0; }));
}

TEST(H2cUpgrade, TlsRequestAskingForH2cIsServedAsHttp11) {
  TempDir dir;
  const auto [cert, key] = makeSelfSignedCert(dir);
  MockProvider mock;
  GatewayOptions options;
  options.extraServerYaml = "  tls: { cert: " + cert + ", key: " + key + " }\n";
  Gateway gw(mock, options);
  // h2 over TLS is negotiated with ALPN only (RFC 9113 3.2): the offer is ignored.
  Headers h = authJson();
  h.push_back({"Connection", "Upgrade, HTTP2-Settings"});
  h.push_back({"Upgrade", "h2c"});
  h.push_back({"HTTP2-Settings", kValidSettings});
  ClientOptions h1;
  h1.caFile = cert;
  const auto r = request("POST", gw.url("/v1/chat/completions", true), h, chatBody(false), 10s, h1);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.httpVersion, kCurlHttp11);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["object"], "chat.completion");
  EXPECT_TRUE(eventually([&] { return gw.providerSlotsInUse() == 0; }));
}

TEST(H2cUpgrade, RawUpgradeGets101ThenHttp2Settings) {
  MockProvider mock;
  Gateway gw(mock);
  RawConnection c(gw.port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(upgradeHead("/v1/models", kValidSettings)));
  const std::string got = c.readFor(1s);
  constexpr char k101[] =
      "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";
  ASSERT_EQ(got.rfind(k101, 0), 0u) << got;
  // Then the server's connection preface: a SETTINGS frame (type 4) on stream 0.
  const std::string frames = got.substr(sizeof k101 - 1);
  ASSERT_GE(frames.size(), 9u);
  EXPECT_EQ(frames[3], '\x04');
  EXPECT_EQ(frames.substr(5, 4), std::string(4, '\0'));
}

TEST(H2cUpgrade, PipelinedRequestsStayHttp11) {
  MockProvider mock;
  Gateway gw(mock);
  const std::string plain = "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                            std::string(kClientKey) + "\r\n\r\n";
  // An upgrade request behind another one: answered after it, as HTTP/1.1.
  RawConnection behind(gw.port());
  ASSERT_TRUE(behind.send(plain + upgradeHead("/v1/models", kValidSettings)));
  behind.readFor(1500ms);
  EXPECT_EQ(occurrences(behind.received(), "HTTP/1.1 200 OK\r\n"), 2u) << behind.received();
  EXPECT_EQ(behind.received().find("101 Switching"), std::string::npos);
  // A request pipelined behind an upgrade request: switching would lose it, so both are
  // answered as HTTP/1.1.
  RawConnection ahead(gw.port());
  ASSERT_TRUE(ahead.send(upgradeHead("/v1/models", kValidSettings) + plain));
  ahead.readFor(1500ms);
  EXPECT_EQ(occurrences(ahead.received(), "HTTP/1.1 200 OK\r\n"), 2u) << ahead.received();
  EXPECT_EQ(ahead.received().find("101 Switching"), std::string::npos);
}

}  // namespace
}  // namespace slotgate::testing::h2
