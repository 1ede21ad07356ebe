#include "gateway/auth.h"

#include <gtest/gtest.h>

#include "conf/digest.h"

namespace slotgate::gateway {
namespace {

conf::Config twoClients() {
  conf::Config c;
  conf::Client a;
  a.id = "a";
  a.key_digest = conf::sha256Of("key-a");
  a.models = {"gpt-*"};
  conf::Client b;
  b.id = "b";
  b.key_digest = conf::sha256Of("key-b");
  c.clients = {a, b};
  return c;
}

TEST(Auth, BearerAndXApiKey) {
  auto c = twoClients();
  EXPECT_EQ(authenticate(c, {{"authorization", "Bearer key-a"}}), 0u);
  EXPECT_EQ(authenticate(c, {{"x-api-key", "key-b"}}), 1u);
  EXPECT_EQ(authenticate(c, {{"authorization", "Bearer key-c"}}), kNoClient);
  EXPECT_EQ(authenticate(c, {{"authorization", "Basic key-a"}}), kNoClient);
  EXPECT_EQ(authenticate(c, {}), kNoClient);
  EXPECT_EQ(authenticate(c, {{"x-api-key", ""}}), kNoClient);
}

TEST(Auth, ModelGlobs) {
  auto c = twoClients();
  EXPECT_TRUE(clientMayUse(c.clients[0], "gpt-4o"));
  EXPECT_FALSE(clientMayUse(c.clients[0], "claude"));
  EXPECT_TRUE(clientMayUse(c.clients[1], "claude"));  // default ["*"]
}

}  // namespace
}  // namespace slotgate::gateway
