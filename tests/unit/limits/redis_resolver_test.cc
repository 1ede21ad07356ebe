#include "limits/cluster/redis_resolver.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "limits/cluster/redis_connection.h"
#include "tests/unit/support/redis_test_server.h"

namespace slotgate::limits {
namespace {

using namespace std::chrono_literals;

TEST(RedisResolver, ANameResolvesToANumericAddressAtConstruction) {
  RedisResolver resolver("localhost", 6379);
  const std::string address = resolver.address();
  EXPECT_TRUE(RedisResolver::isNumeric(address)) << address;
  EXPECT_TRUE(address == "127.0.0.1" || address == "::1") << address;
  EXPECT_EQ(resolver.resolutions(), 1u);
}

TEST(RedisResolver, ANumericHostIsUsedAsItIs) {
  RedisResolver v4("10.1.2.3", 6379);
  EXPECT_EQ(v4.address(), "10.1.2.3");
  RedisResolver v6("::1", 6379);
  EXPECT_EQ(v6.address(), "::1");
  v6.refresh();  // nothing to do, no thread
  EXPECT_EQ(v6.address(), "::1");
}

TEST(RedisResolver, RefreshResolvesAgainInTheBackground) {
  RedisResolver resolver("localhost", 6379);
  resolver.refresh();
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (resolver.resolutions() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_GE(resolver.resolutions(), 2u);
  EXPECT_TRUE(RedisResolver::isNumeric(resolver.address()));
}

TEST(RedisResolver, AnUnresolvableNameGivesNoAddress) {
  // .invalid never resolves (RFC 6761); the resolver must not fall back to the name.
  RedisResolver resolver("no-such-host.invalid", 6379);
  EXPECT_EQ(resolver.address(), "");
}

// redis://localhost:PORT: the connection comes up, and what it handed hiredis was a numeric
// address, resolved beforehand (so hiredis had nothing to look up on the loop).
TEST(RedisResolver, ConnectionsToANameConnectByAddress) {
  testing::RedisServer redis;
  testing::TestLoop loop;
  RedisEndpoint endpoint{"localhost", redis.port(), 0,
                         std::make_shared<RedisResolver>("localhost", redis.port())};
  RedisConnection conn(loop.base(), endpoint);
  conn.start();
  ASSERT_TRUE(loop.runUntil([&] { return conn.connected(); }, 30s));
  EXPECT_TRUE(RedisResolver::isNumeric(conn.target())) << conn.target();
  bool answered = false;
  ASSERT_TRUE(conn.command(
      {"PING"}, [&](const redisReply* reply) { answered = redisString(reply) == "PONG"; }));
  EXPECT_TRUE(loop.runUntil([&] { return answered; }, 30s));

  // After a lost connection it reconnects, again by address.
  redis.restart();
  ASSERT_TRUE(loop.runUntil([&] { return conn.connects() >= 2 && conn.connected(); }, 30s));
  EXPECT_TRUE(RedisResolver::isNumeric(conn.target())) << conn.target();
}

TEST(RedisResolver, WithoutAnAddressAConnectionWaitsInsteadOfResolvingOnTheLoop) {
  testing::TestLoop loop;
  RedisEndpoint endpoint{"no-such-host.invalid", 6379, 0,
                         std::make_shared<RedisResolver>("no-such-host.invalid", 6379)};
  RedisConnection conn(loop.base(), endpoint);
  conn.start();
  loop.runFor(200ms);
  EXPECT_FALSE(conn.connected());
  EXPECT_EQ(conn.target(), "");  // nothing was handed to hiredis
}

}  // namespace
}  // namespace slotgate::limits
