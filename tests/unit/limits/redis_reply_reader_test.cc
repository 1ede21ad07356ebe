// RedisReplyReader: hiredis's protocol reader with reply objects of our own, reused from one
// reply to the next: every RESP2 type, replies split anywhere across reads, and protocol errors.
#include "limits/cluster/redis_reply_reader.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <string>
#include <string_view>

namespace slotgate::limits {
namespace {

std::string_view text(const redisReply* r) { return std::string_view(r->str, r->len); }

TEST(RedisReplyReader, IntegersStatusErrorsAndNil) {
  RedisReplyReader reader;
  const std::string wire = ":42\r\n:-7\r\n+OK\r\n-NOSCRIPT No matching script\r\n$-1\r\n";
  ASSERT_TRUE(reader.feed(wire.data(), wire.size()));
  const redisReply* r = nullptr;
  ASSERT_EQ(reader.next(r), RedisReplyReader::Status::kReply);
  EXPECT_EQ(r->type, REDIS_REPLY_INTEGER);
  EXPECT_EQ(r->integer, 42);
  ASSERT_EQ(reader.next(r), RedisReplyReader::Status::kReply);
  EXPECT_EQ(r->integer, -7);
  ASSERT_EQ(reader.next(r), RedisReplyReader::Status::kReply);
  EXPECT_EQ(r->type, REDIS_REPLY_STATUS);
  EXPECT_EQ(text(r), "OK");
  ASSERT_EQ(reader.next(r), RedisReplyReader::Status::kReply);
  EXPECT_EQ(r->type, REDIS_REPLY_ERROR);
  EXPECT_EQ(text(r), "NOSCRIPT No matching script");
  EXPECT_EQ(r->str[r->len], '\0');
  ASSERT_EQ(reader.next(r), RedisReplyReader::Status::kReply);
  EXPECT_EQ(r->type, REDIS_REPLY_NIL);
  EXPECT_EQ(reader.next(r), RedisReplyReader::Status::kIncomplete);
}

TEST(RedisReplyReader, NestedArraysOfEveryTypeSplitAtEveryByte) {
  static constexpr char kWire[] =
      "*4\r\n:1\r\n$5\r\nhe\0lo\r\n*2\r\n$-1\r\n*0\r\n+x\r\n"
      "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nabc\r\n";
  const std::string body(kWire, sizeof kWire - 1);  // with the NUL inside "he\0lo"
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    RedisReplyReader reader;
    const redisReply* r = nullptr;
    ASSERT_TRUE(reader.feed(body.data(), cut));
    RedisReplyReader::Status status = reader.next(r);
    if (status == RedisReplyReader::Status::kIncomplete) {
      ASSERT_TRUE(reader.feed(body.data() + cut, body.size() - cut));
      status = reader.next(r);
    } else {
      ASSERT_TRUE(reader.feed(body.data() + cut, body.size() - cut));
    }
    ASSERT_EQ(status, RedisReplyReader::Status::kReply) << "cut at " << cut;
    ASSERT_EQ(r->type, REDIS_REPLY_ARRAY);
    ASSERT_EQ(r->elements, 4u);
    EXPECT_EQ(r->element[0]->integer, 1);
    EXPECT_EQ(text(r->element[1]), std::string_view("he\0lo", 5));
    ASSERT_EQ(r->element[2]->type, REDIS_REPLY_ARRAY);
    ASSERT_EQ(r->element[2]->elements, 2u);
    EXPECT_EQ(r->element[2]->element[0]->type, REDIS_REPLY_NIL);
    EXPECT_EQ(r->element[2]->element[1]->type, REDIS_REPLY_ARRAY);
    EXPECT_EQ(r->element[2]->element[1]->elements, 0u);
    EXPECT_EQ(text(r->element[3]), "x");
    ASSERT_EQ(reader.next(r), RedisReplyReader::Status::kReply) << "cut at " << cut;
    ASSERT_EQ(r->elements, 3u);
    EXPECT_EQ(text(r->element[0]), "message");
    EXPECT_EQ(text(r->element[2]), "abc");
    EXPECT_EQ(reader.next(r), RedisReplyReader::Status::kIncomplete);
  }
}

TEST(RedisReplyReader, LargeRepliesAndManyElementsAcrossBlocks) {
  RedisReplyReader reader;
  const std::string big(100000, 'b');
  std::string wire = "$" + std::to_string(big.size()) + "\r\n" + big + "\r\n";
  wire += "*3000\r\n";
  for (int i = 0; i < 3000; ++i) {
    wire += ":" + std::to_string(i) + "\r\n";
  }
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(reader.feed(wire.data(), wire.size()));
    const redisReply* r = nullptr;
    ASSERT_EQ(reader.next(r), RedisReplyReader::Status::kReply);
    EXPECT_EQ(text(r), big);
    ASSERT_EQ(reader.next(r), RedisReplyReader::Status::kReply);
    ASSERT_EQ(r->elements, 3000u);
    for (int i = 0; i < 3000; ++i) {
      ASSERT_EQ(r->element[i]->integer, i);
    }
    EXPECT_EQ(reader.next(r), RedisReplyReader::Status::kIncomplete);
  }
}

TEST(RedisReplyReader, NotRespIsAnError) {
  RedisReplyReader reader;
  const std::string wire = "*2\r\n:1\r\n?what\r\n";
  ASSERT_TRUE(reader.feed(wire.data(), wire.size()));
  const redisReply* r = nullptr;
  EXPECT_EQ(reader.next(r), RedisReplyReader::Status::kError);
}

}  // namespace
}  // namespace slotgate::limits
