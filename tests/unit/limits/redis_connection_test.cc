// RedisConnection's own socket I/O (limits/cluster/redis_events.*, redis_reply_reader.*) against
// a real redis-server: commands of one loop turn go out in one flush, a command larger than the
// socket takes at once is finished by the write event, replies reach their handlers in order
// (also when one of them resets the connection), and subscriptions get their messages.
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
  // Sends INCR `key` and returns the integer it answered (-1: no reply, or not an integer).
  long long increment(const char* key) {
    long long reply = 0;
    EXPECT_TRUE(conn_->command({"INCR", key}, [&](const redisReply* r) {
      reply = r != nullptr && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    }));
    EXPECT_TRUE(loop_.runUntil([&] { return reply != 0; }));
    return reply;
  }

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
  EXPECT_EQ(increment("after"), 1);
}

TEST_F(RedisConnectionTest, CommandsWithoutAReplyInTimeGetNoneAndTheConnectionComesBack) {
  RedisOptions options;
  options.command_timeout = std::chrono::milliseconds(100);
  conn_ = std::make_unique<RedisConnection>(loop_.base(), redis_.endpoint(), options);
  conn_->start();
  ASSERT_TRUE(loop_.runUntil([&] { return conn_->connected(); }));
  redis_.pause();
  int failed = 0;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(conn_->command({"PING"}, [&](const redisReply* r) { failed += r == nullptr; }));
  }
  EXPECT_EQ(conn_->pending(), 3u);
  ASSERT_TRUE(loop_.runUntil([&] { return failed == 3; }));
  EXPECT_EQ(conn_->pending(), 0u);
  redis_.resume();
  // A PING answered on a new connection; sent again whenever one went unanswered within the
  // short timeout (a loaded machine may be that slow right after the resume).
  std::string reply;
  ASSERT_TRUE(loop_.runUntil(
      [&] {
        if (reply.empty() && conn_->connects() >= 2 && conn_->connected() &&
            conn_->pending() == 0) {
          (void)conn_->command({"PING"}, [&](const redisReply* r) { reply = redisString(r); });
        }
        return !reply.empty();
      },
      std::chrono::seconds(30)));
  EXPECT_EQ(reply, "PONG");
}

TEST_F(RedisConnectionTest, AResetInsideAHandlerFailsTheRestAndTheConnectionComesBack) {
  std::vector<std::string> got;
  ASSERT_TRUE(conn_->command({"PING"}, [&](const redisReply* r) {
    got.push_back(std::string(redisString(r)));
    conn_->reset("test");  // the next replies were read with this one
    EXPECT_FALSE(conn_->command({"PING"}, [](const redisReply*) {}));
  }));
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(conn_->command({"PING"}, [&](const redisReply* r) {
      got.push_back(r == nullptr ? "none" : std::string(redisString(r)));
    }));
  }
  ASSERT_TRUE(loop_.runUntil([&] { return got.size() == 3; }));
  EXPECT_EQ(got, (std::vector<std::string>{"PONG", "none", "none"}));
  ASSERT_TRUE(loop_.runUntil([&] { return conn_->connected(); }));
  EXPECT_EQ(increment("n"), 1);
}

TEST_F(RedisConnectionTest, ASubscriptionGetsItsConfirmationAndMessages) {
  std::vector<std::string> got;
  ASSERT_TRUE(conn_->subscribe("news", [&](const redisReply* r) {
    ASSERT_NE(r, nullptr);
    ASSERT_EQ(r->type, REDIS_REPLY_ARRAY);
    got.push_back(std::string(redisString(r->element[0])) + ":" +
                  std::string(redisString(r->element[1])) + ":" +
                  (r->element[2]->type == REDIS_REPLY_INTEGER
                       ? std::to_string(r->element[2]->integer)
                       : std::string(redisString(r->element[2]))));
  }));
  ASSERT_TRUE(loop_.runUntil([&] { return got.size() == 1; }));
  EXPECT_EQ(redis_.integer({"PUBLISH", "news", "one"}), 1);
  EXPECT_EQ(redis_.integer({"PUBLISH", "other", "x"}), 0);
  EXPECT_EQ(redis_.integer({"PUBLISH", "news", "two"}), 1);
  ASSERT_TRUE(loop_.runUntil([&] { return got.size() == 3; }));
  EXPECT_EQ(got,
            (std::vector<std::string>{"subscribe:news:1", "message:news:one", "message:news:two"}));
}

}  // namespace
}  // namespace slotgate::limits
