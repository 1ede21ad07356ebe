#include "gateway/proxy/auth.h"

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

TEST(ConnectionAuth, TheSameKeyAgainIsNotHashedAgain) {
  auto c = twoClients();
  c.version = 1;
  ConnectionAuth auth;
  EXPECT_EQ(auth.authenticate(c, {{"authorization", "Bearer key-a"}}), 0u);
  EXPECT_EQ(auth.authenticate(c, {{"authorization", "Bearer key-a"}}), 0u);
  EXPECT_EQ(auth.authenticate(c, {{"x-api-key", "key-a"}}), 0u);
  EXPECT_EQ(auth.digestsComputed(), 1u);
}

TEST(ConnectionAuth, AnotherKeyIsHashedAndNeverTakesTheRememberedIdentity) {
  auto c = twoClients();
  c.version = 1;
  ConnectionAuth auth;
  ASSERT_EQ(auth.authenticate(c, {{"authorization", "Bearer key-a"}}), 0u);
  EXPECT_EQ(auth.authenticate(c, {{"authorization", "Bearer key-b"}}), 1u);
  EXPECT_EQ(auth.authenticate(c, {{"authorization", "Bearer key-a"}}), 0u);
  // Same length, one byte off; a prefix; an extension; none; empty.
  EXPECT_EQ(auth.authenticate(c, {{"authorization", "Bearer key-c"}}), kNoClient);
  ASSERT_EQ(auth.authenticate(c, {{"authorization", "Bearer key-a"}}), 0u);
  EXPECT_EQ(auth.authenticate(c, {{"authorization", "Bearer key-"}}), kNoClient);
  ASSERT_EQ(auth.authenticate(c, {{"authorization", "Bearer key-a"}}), 0u);
  EXPECT_EQ(auth.authenticate(c, {{"authorization", "Bearer key-aa"}}), kNoClient);
  ASSERT_EQ(auth.authenticate(c, {{"authorization", "Bearer key-a"}}), 0u);
  EXPECT_EQ(auth.authenticate(c, {}), kNoClient);
  ASSERT_EQ(auth.authenticate(c, {{"authorization", "Bearer key-a"}}), 0u);
  EXPECT_EQ(auth.authenticate(c, {{"x-api-key", ""}}), kNoClient);
}

TEST(ConnectionAuth, AnUnknownKeyIsNotRememberedAndIsHashedEachTime) {
  auto c = twoClients();
  c.version = 1;
  ConnectionAuth auth;
  EXPECT_EQ(auth.authenticate(c, {{"authorization", "Bearer key-c"}}), kNoClient);
  EXPECT_EQ(auth.authenticate(c, {{"authorization", "Bearer key-c"}}), kNoClient);
  EXPECT_EQ(auth.digestsComputed(), 2u);
}

TEST(ConnectionAuth, AReloadedConfigIsAskedAgain) {
  auto c = twoClients();
  c.version = 1;
  ConnectionAuth auth;
  ASSERT_EQ(auth.authenticate(c, {{"authorization", "Bearer key-a"}}), 0u);
  // The reload revoked key-a: the remembered answer must not outlive its config.
  conf::Config reloaded = twoClients();
  reloaded.version = 2;
  reloaded.clients[0].key_digest = conf::sha256Of("key-new");
  EXPECT_EQ(auth.authenticate(reloaded, {{"authorization", "Bearer key-a"}}), kNoClient);
  EXPECT_EQ(auth.authenticate(reloaded, {{"authorization", "Bearer key-new"}}), 0u);
  EXPECT_EQ(auth.digestsComputed(), 3u);
}

TEST(ConnectionAuth, AConfigNoServerInstalledIsNeverRemembered) {
  auto c = twoClients();  // version 0
  ConnectionAuth auth;
  EXPECT_EQ(auth.authenticate(c, {{"authorization", "Bearer key-a"}}), 0u);
  EXPECT_EQ(auth.authenticate(c, {{"authorization", "Bearer key-a"}}), 0u);
  EXPECT_EQ(auth.digestsComputed(), 2u);
}

TEST(Auth, ModelGlobs) {
  auto c = twoClients();
  EXPECT_TRUE(clientMayUse(c.clients[0], "gpt-4o"));
  EXPECT_FALSE(clientMayUse(c.clients[0], "claude"));
  EXPECT_TRUE(clientMayUse(c.clients[1], "claude"));  // default ["*"]
}

// What admitHead noted is taken under the same config only; otherwise the key is checked again.
TEST(Auth, RequestClientTakesTheNoteOfTheSameConfigOnly) {
  auto c = twoClients();
  c.version = 7;
  IncomingRequest request;
  request.headers = {{"authorization", "Bearer key-b"}};
  request.note = {.config_version = 7, .client = 0, .route = 1};
  EXPECT_EQ(requestClient(c, request), 0u);  // the note, not a second hash
  request.note.config_version = 6;           // a reload came in between
  EXPECT_EQ(requestClient(c, request), 1u);
  request.note = {};  // nothing noted
  EXPECT_EQ(requestClient(c, request), 1u);
  request.headers.clear();
  EXPECT_EQ(requestClient(c, request), kNoClient);
}

}  // namespace
}  // namespace slotgate::gateway
