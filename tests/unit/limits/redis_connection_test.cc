// RedisConnection's writes through its own event hooks (limits/cluster/redis_events.*) against
// a real redis-server: commands of one loop turn go out in one flush, and a command larger than
// the socket takes at once is finished by the write event.
#include "limits/cluster/redis_connection.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <string>
#include <vector>

#include "tests/unit/support/redis_test_server.h"

namespace slotgate::limits {
namespace {

using testing::RedisServer;
using testing::TestLoop;

class RedisConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = std::make_unique<RedisConnection>(loop_.base(), redis_.endpoint());
    conn_->start();
    ASSERT_TRUE(loop_.runUntil([&] { return conn_->connected(); }));
  }
  void TearDown() override { conn_.reset(); }

  RedisServer redis_;
  TestLoop loop_;
  std::unique_ptr<RedisConnection> conn_;
};

TEST_F(RedisConnectionTest, CommandsOfOneTurnAreAnsweredInOrder) {
  std::vector<long long> replies;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(conn_->command({"INCR", "counter"}, [&](const redisReply* r) {
      replies.push_back(r != nullptr && r->type == REDIS_REPLY_INTEGER ? r->integer : -1);
    }));
  }
  EXPECT_TRUE(replies.empty());  // never inside command()
  ASSERT_TRUE(loop_.runUntil([&] { return replies.size() == 200; }));
  for (size_t i = 0; i < replies.size(); ++i) {
    EXPECT_EQ(replies[i], static_cast<long long>(i + 1));
  }
  EXPECT_EQ(conn_->pending(), 0u);
}

TEST_F(RedisConnectionTest, ACommandLargerThanTheSocketTakesIsSentWhole) {
  const std::string value(8 << 20, 'v');  // far past a loopback socket's send buffer
  std::string first, second;
  ASSERT_TRUE(conn_->command({"SET", "big", value},
                             [&](const redisReply* r) { first = std::string(redisString(r)); }));
  // Queued behind the partial write: goes out once the write event finished the first.
  ASSERT_TRUE(conn_->command({"STRLEN", "big"}, [&](const redisReply* r) {
    second = r != nullptr && r->type == REDIS_REPLY_INTEGER ? std::to_string(r->integer) : "?";
  }));
  ASSERT_TRUE(loop_.runUntil([&] { return !second.empty(); }));
  EXPECT_EQ(first, "OK");
  EXPECT_EQ(second, std::to_string(value.size()));
  EXPECT_EQ(redis_.integer({"STRLEN", "big"}), static_cast<long long>(value.size()));
}

TEST_F(RedisConnectionTest, ReconnectsAndSendsAgainAfterTheServerRestarts) {
  redis_.restart();
  ASSERT_TRUE(loop_.runUntil([&] { return conn_->connects() >= 2 && conn_->connected(); }));
  long long reply = 0;
  ASSERT_TRUE(conn_->command({"INCR", "after"}, [&](const redisReply* r) {
    reply = r != nullptr && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
  }));
  ASSERT_TRUE(loop_.runUntil([&] { return reply != 0; }));
  EXPECT_EQ(reply, 1);
}

}  // namespace
}  // namespace slotgate::limits
