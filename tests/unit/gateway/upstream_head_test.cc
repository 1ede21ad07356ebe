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

}  // namespace
}  // namespace slotgate::gateway
