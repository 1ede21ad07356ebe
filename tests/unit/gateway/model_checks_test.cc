#include "gateway/proxy/model_checks.h"

#include <gtest/gtest.h>

namespace slotgate::gateway {
namespace {

// Model "gpt" with one OpenAI target; client "a" may use gpt-* only.
conf::Config config() {
  conf::Config c;
  conf::Provider p;
  p.name = "openai";
  p.type = conf::ProviderType::kOpenAI;
  p.keys = {{"k1", "E", "s", 2}};
  c.providers = {p};
  conf::Model m;
  m.name = "gpt-4o";
  m.targets = {{"openai", "gpt-4o-2024", 0}};
  c.models = {m};
  conf::Client a;
  a.id = "a";
  a.models = {"gpt-*"};
  conf::Client b;
  b.id = "b";
  b.models = {"claude-*"};
  c.clients = {a, b};
  return c;
}

alias::Resolution resolved(const conf::Config& c) {
  alias::Resolution r;
  r.model = &c.models[0];
  r.model_index = 0;
  return r;
}

TEST(ModelChecks, AnAllowedModelWithATargetForThePathPasses) {
  const auto c = config();
  EXPECT_FALSE(checkModel(c, c.clients[0], "fast", resolved(c),
                          routing::findEndpoint("/v1/chat/completions"), "/v1/chat/completions"));
}

TEST(ModelChecks, EachRefusalInItsOrder) {
  const auto c = config();
  const auto not_found =
      checkModel(c, c.clients[0], "nope", alias::Resolution{},
                 routing::findEndpoint("/v1/chat/completions"), "/v1/chat/completions");
  ASSERT_TRUE(not_found);
  EXPECT_EQ(not_found->error, metrics::ErrorType::kModelNotFound);
  EXPECT_EQ(not_found->message, "model 'nope' not found");
  const auto not_allowed =
      checkModel(c, c.clients[1], "gpt-4o", resolved(c),
                 routing::findEndpoint("/v1/chat/completions"), "/v1/chat/completions");
  ASSERT_TRUE(not_allowed);
  EXPECT_EQ(not_allowed->error, metrics::ErrorType::kModelNotAllowed);
  EXPECT_EQ(not_allowed->message, "model 'gpt-4o' is not allowed for this key");
  const auto wrong_api = checkModel(c, c.clients[0], "gpt-4o", resolved(c),
                                    routing::findEndpoint("/v1/messages"), "/v1/messages");
  ASSERT_TRUE(wrong_api);
  EXPECT_EQ(wrong_api->error, metrics::ErrorType::kInvalidRequest);
  EXPECT_EQ(wrong_api->message, "model 'gpt-4o' has no anthropic target for path /v1/messages");
}

}  // namespace
}  // namespace slotgate::gateway
