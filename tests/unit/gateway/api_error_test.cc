#include "gateway/proxy/api_error.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace slotgate::gateway {
namespace {

TEST(ApiError, OpenAIShape) {
  auto j = nlohmann::json::parse(
      errorBody(conf::ProviderType::kOpenAI, metrics::ErrorType::kInvalidApiKey, "bad \"key\""));
  EXPECT_EQ(j["error"]["message"], "bad \"key\"");
  EXPECT_EQ(j["error"]["type"], "authentication_error");
  EXPECT_EQ(j["error"]["code"], "invalid_api_key");
}

TEST(ApiError, AnthropicShape) {
  auto j = nlohmann::json::parse(
      errorBody(conf::ProviderType::kAnthropic, metrics::ErrorType::kNoUpstreamAvailable, "busy"));
  EXPECT_EQ(j["type"], "error");
  EXPECT_EQ(j["error"]["type"], "overloaded_error");
  EXPECT_EQ(j["error"]["message"], "busy");
  EXPECT_EQ(j["error"]["code"], "no_upstream_available");
}

}  // namespace
}  // namespace slotgate::gateway
