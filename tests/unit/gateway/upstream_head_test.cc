#include "gateway/proxy/upstream_head.h"

#include <gtest/gtest.h>

namespace slotgate::gateway {
namespace {

TEST(UpstreamHead, ReplacesAuthAndDropsHopByHop) {
  conf::Provider p;
  p.type = conf::ProviderType::kOpenAI;
  p.url.path_prefix = "/proxy";
  p.url.host_header = "api.example:8443";
  conf::ProviderKey key{"k1", "ENV", "sk-provider", 0};
  IncomingRequest r;
  r.method = "POST";
  r.path = "/v1/chat/completions";
  r.query = "a=1";
  r.headers = {{"authorization", "Bearer client-secret"},
               {"connection", "keep-alive, X-Drop"},
               {"x-drop", "1"},
               {"content-type", "application/json"},
               {"host", "gateway"},
               {"content-length", "99"},
               {"x-request-id", "old"},
               {"te", "trailers"}};
  const std::string head = buildUpstreamHead(p, key, r, "req-1", 12);
  EXPECT_EQ(
      head.rfind("POST /proxy/v1/chat/completions?a=1 HTTP/1.1\r\nhost: api.example:8443\r\n", 0),
      0u);
  EXPECT_NE(head.find("authorization: Bearer sk-provider\r\n"), std::string::npos);
  EXPECT_NE(head.find("content-type: application/json\r\n"), std::string::npos);
  EXPECT_NE(head.find("x-request-id: req-1\r\n"), std::string::npos);
  EXPECT_NE(head.find("content-length: 12\r\n\r\n"), std::string::npos);
  EXPECT_EQ(head.find("client-secret"), std::string::npos);
  EXPECT_EQ(head.find("keep-alive"), std::string::npos);
  EXPECT_EQ(head.find("trailers"), std::string::npos);
  EXPECT_EQ(head.find("x-drop"), std::string::npos);
  EXPECT_EQ(head.find("99"), std::string::npos);
}

TEST(UpstreamHead, AnthropicUsesXApiKeyAndAddsVersion) {
  conf::Provider p;
  p.type = conf::ProviderType::kAnthropic;
  p.url.host_header = "api.anthropic.com";
  conf::ProviderKey key{"k1", "ENV", "sk-ant", 0};
  IncomingRequest r;
  r.method = "POST";
  r.path = "/v1/messages";
  r.headers = {{"x-api-key", "client-secret"}};
  std::string head = buildUpstreamHead(p, key, r, "id", 2);
  EXPECT_NE(head.find("x-api-key: sk-ant\r\n"), std::string::npos);
  EXPECT_NE(head.find("anthropic-version: 2023-06-01\r\n"), std::string::npos);
  EXPECT_EQ(head.find("client-secret"), std::string::npos);
  r.headers.push_back({"anthropic-version", "2024-01-01"});
  head = buildUpstreamHead(p, key, r, "id", 2);
  EXPECT_NE(head.find("anthropic-version: 2024-01-01\r\n"), std::string::npos);
  EXPECT_EQ(head.find("2023-06-01"), std::string::npos);
}

TEST(UpstreamHead, ExactBytesIntoAReusedBuffer) {
  conf::Provider p;
  p.type = conf::ProviderType::kOpenAI;
  p.url.host_header = "up:81";
  conf::ProviderKey key{"k1", "ENV", "sk", 0};
  IncomingRequest r;
  r.method = "POST";
  r.path = "/v1/x";
  r.headers = {
      {"user-agent", "t"}, {"connection", "close, x-b"}, {"x-b", "2"},     {"connection", "x-a"},
      {"x-a", "1"},        {"proxy-authorization", "p"}, {"accept", "*/*"}};
  // A longer head held before: what it held does not show through.
  std::string head(1000, 'z');
  buildUpstreamHead(p, key, r, "rid", 1234567, head);
  EXPECT_EQ(head,
            "POST /v1/x HTTP/1.1\r\nhost: up:81\r\nuser-agent: t\r\nx-a: 1\r\naccept: */*\r\n"
            "authorization: Bearer sk\r\nx-request-id: rid\r\ncontent-length: 1234567\r\n\r\n");
  head.clear();
  buildUpstreamHead(p, key, r, "rid", 0, head);
  EXPECT_NE(head.find("content-length: 0\r\n\r\n"), std::string::npos);
}

// Every name slotgate drops or replaces, and names of the same lengths that pass.
TEST(UpstreamHead, DroppedAndForwardedCallerNames) {
  conf::Provider p;
  p.type = conf::ProviderType::kOpenAI;
  p.url.host_header = "up";
  conf::ProviderKey key{"k1", "ENV", "sk", 0};
  for (const char* name :
       {"host", "expect", "x-api-key", "x-request-id", "authorization", "content-length",
        "http2-settings", "transfer-encoding", "te", "trailer", "upgrade", "connection",
        "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization"}) {
    IncomingRequest r;
    r.method = "GET";
    r.path = "/";
    r.headers = {{name, "dropped-value"}};
    EXPECT_EQ(buildUpstreamHead(p, key, r, "id", 0).find("dropped-value"), std::string::npos)
        << name;
  }
  for (const char* name :
       {"hosx", "expecx", "x-api-kez", "x-request-ix", "authorizatioo", "content-lengtx",
        "http2-settingx", "transfer-encodinx", "tf", "anthropic-version", "user-agent", "accept"}) {
    IncomingRequest r;
    r.method = "GET";
    r.path = "/";
    r.headers = {{name, "kept-value"}};
    EXPECT_NE(buildUpstreamHead(p, key, r, "id", 0).find(std::string(name) + ": kept-value\r\n"),
              std::string::npos)
        << name;
  }
}

TEST(UpstreamHead, HopByHopNames) {
  for (const char* name :
       {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
        "upgrade", "proxy-authorization", "proxy-authenticate", "http2-settings"}) {
    EXPECT_TRUE(isHopByHop(name)) << name;
  }
  for (const char* name : {"", "t", "tf", "host", "content-length", "connectio", "upgradf",
                           "x-request-id", "proxy-authorizatio"}) {
    EXPECT_FALSE(isHopByHop(name)) << name;
  }
}

}  // namespace
}  // namespace slotgate::gateway
