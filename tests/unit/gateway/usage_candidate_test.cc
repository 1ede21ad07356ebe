#include "gateway/proxy/usage_candidate.h"

#include <gtest/gtest.h>

#include <string>

namespace slotgate::gateway {
namespace {

constexpr size_t kNone = std::string_view::npos;

TEST(LastUsageValueOffset, FindsTheUsageValueOfATypicalBody) {
  const std::string body =
      R"({"id":"c","choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":1},"x":"y"})";
  EXPECT_EQ(lastUsageValueOffset(body), body.find("{\"prompt_tokens\""));
  const std::string spaced = " \n{\"a\" : 1,\n \"usage\" :\t {\"prompt_tokens\": 1}\n}\r\n";
  EXPECT_EQ(lastUsageValueOffset(spaced), spaced.find("{\"prompt_tokens\""));
}

TEST(LastUsageValueOffset, RefusesWhatTheTextCannotVouchFor) {
  EXPECT_EQ(lastUsageValueOffset(""), kNone);
  EXPECT_EQ(lastUsageValueOffset(R"({"a":1})"), kNone);                          // no usage
  EXPECT_EQ(lastUsageValueOffset(R"([{"usage":{"prompt_tokens":1}}])"), kNone);  // not an object
  EXPECT_EQ(lastUsageValueOffset(R"({"usage":{"prompt_tokens":1}} x)"), kNone);  // not ending in }
  EXPECT_EQ(lastUsageValueOffset(R"({"usage":null})"), kNone);    // value not an object
  EXPECT_EQ(lastUsageValueOffset(R"({"usage" "x":{}})"), kNone);  // no colon
  EXPECT_EQ(lastUsageValueOffset(R"({"k \"usage":{"prompt_tokens":1}})"), kNone);  // escaped quote
  EXPECT_EQ(lastUsageValueOffset(R"({"usage":{"a":1},"usage":{"b":2}})"), kNone);  // duplicate
  EXPECT_EQ(lastUsageValueOffset(R"({"usage")"), kNone);
  EXPECT_EQ(lastUsageValueOffset(R"({"usage":})"), kNone);
}

}  // namespace
}  // namespace slotgate::gateway
