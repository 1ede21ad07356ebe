#include "routing/endpoints.h"

#include <gtest/gtest.h>

namespace slotgate::routing {
namespace {

TEST(Endpoints, ErrorFormatFollowsPath) {
  EXPECT_EQ(apiFormatForPath("/v1/messages"), conf::ProviderType::kAnthropic);
  EXPECT_EQ(apiFormatForPath("/v1/chat/completions"), conf::ProviderType::kOpenAI);
  EXPECT_EQ(apiFormatForPath("/nope"), conf::ProviderType::kOpenAI);
}

TEST(Endpoints, EachRouteHasItsRow) {
  const Endpoint& chat = findEndpoint("/v1/chat/completions");
  EXPECT_EQ(chat.kind, EndpointKind::kProxy);
  EXPECT_EQ(chat.format, conf::ProviderType::kOpenAI);
  EXPECT_TRUE(chat.usage_on_request);
  EXPECT_TRUE(chat.holds_slots);
  EXPECT_EQ(chat.method, "POST");
  EXPECT_EQ(&findEndpoint("/v1/completions"), &chat);
  EXPECT_FALSE(findEndpoint("/v1/embeddings").usage_on_request);
  const Endpoint& messages = findEndpoint("/v1/messages");
  EXPECT_EQ(messages.format, conf::ProviderType::kAnthropic);
  EXPECT_EQ(messages.provider_type, conf::ProviderType::kAnthropic);
  EXPECT_FALSE(findEndpoint("/v1/messages/count_tokens").holds_slots);
  EXPECT_EQ(findEndpoint("/v1/models").kind, EndpointKind::kListModels);
  EXPECT_EQ(findEndpoint("/v1/models").method, "GET");
  EXPECT_EQ(findEndpoint("/v1/models/gpt-4o").kind, EndpointKind::kModelObject);
}

TEST(Endpoints, UnknownPathsHaveNoRouteButTheirErrorFormat) {
  const Endpoint& openai = findEndpoint("/v1/nothing");
  EXPECT_EQ(openai.kind, EndpointKind::kUnknownPath);
  EXPECT_EQ(openai.id, 0);
  EXPECT_EQ(openai.format, conf::ProviderType::kOpenAI);
  const Endpoint& batches = findEndpoint("/v1/messages/batches");
  EXPECT_EQ(batches.kind, EndpointKind::kUnknownPath);
  EXPECT_EQ(batches.format, conf::ProviderType::kAnthropic);
}

// The id a request carries from its head to its dispatch finds the same row again.
TEST(Endpoints, AnIdFindsItsRowAgain) {
  for (const char* path : {"/v1/chat/completions", "/v1/responses", "/v1/messages",
                           "/v1/messages/count_tokens", "/v1/models", "/v1/models/x"}) {
    const Endpoint& row = findEndpoint(path);
    ASSERT_NE(row.id, 0) << path;
    EXPECT_EQ(endpointById(row.id), &row) << path;
  }
  EXPECT_EQ(endpointById(0), nullptr);
  EXPECT_EQ(endpointById(200), nullptr);
}

}  // namespace
}  // namespace slotgate::routing
