// Asking for stream usage on the client's behalf (issue 14): the one edit to the body.
#include "gateway/proxy/stream_options.h"

#include <gtest/gtest.h>

#include "gateway/proxy/request_body.h"

namespace slotgate::gateway {
namespace {

// The upstream body for `body` with the model renamed to "up" and usage asked for.
std::string asked(const std::string& body) {
  const BodyFields f = readBodyFields(body);
  EXPECT_TRUE(f.ok) << f.error;
  EXPECT_TRUE(canAskForUsage(f)) << body;
  return rewriteUpstreamBody(body, f, "up", true);
}

TEST(StreamOptions, AppendsTheMemberLastWhenAbsent) {
  EXPECT_EQ(
      asked(R"({"model":"m","stream":true,"messages":[]})"),
      R"({"model":"up","stream":true,"messages":[],"stream_options":{"include_usage":true}})");
  // Whitespace and newlines around the closing brace stay where they were.
  EXPECT_EQ(asked("{ \"stream\" : true , \"model\" : \"m\" \n}\n  "),
            "{ \"stream\" : true , \"model\":\"up\" "
            "\n,\"stream_options\":{\"include_usage\":true}}\n  ");
}

TEST(StreamOptions, MergesIntoAnExistingObjectKeepingItsKeysAndOrder) {
  EXPECT_EQ(
      asked(
          R"({"stream_options":{"x":{"include_usage":false},"y":[1]},"model":"m","stream":true})"),
      R"({"stream_options":{"include_usage":true,"x":{"include_usage":false},"y":[1]},"model":"up","stream":true})");
  EXPECT_EQ(asked(R"({"model":"m","stream":true,"stream_options":{}})"),
            R"({"model":"up","stream":true,"stream_options":{"include_usage":true}})");
  EXPECT_EQ(asked(R"({"model":"m","stream":true,"stream_options": { } })"),
            R"({"model":"up","stream":true,"stream_options": {"include_usage":true } })");
}

TEST(StreamOptions, ReplacesAFalseOrNullValueInPlace) {
  EXPECT_EQ(
      asked(R"({"model":"m","stream":true,"stream_options":{"a":1,"include_usage":false ,"b":2}})"),
      R"({"model":"up","stream":true,"stream_options":{"a":1,"include_usage":true ,"b":2}})");
  EXPECT_EQ(asked(R"({"model":"m","stream":true,"stream_options":{"include_usage":null}})"),
            R"({"model":"up","stream":true,"stream_options":{"include_usage":true}})");
  EXPECT_EQ(asked(R"({"model":"m","stream":true,"stream_options":null})"),
            R"({"model":"up","stream":true,"stream_options":{"include_usage":true}})");
}

TEST(StreamOptions, ReadsEscapedKeys) {
  // "stream\u005foptions" and "include\u005fusage" are the same keys once unescaped.
  const std::string body =
      R"({"model":"m","stream":true,"stream\u005foptions":{"include\u005fusage":false}})";
  EXPECT_EQ(asked(body),
            R"({"model":"up","stream":true,"stream\u005foptions":{"include\u005fusage":true}})");
  const BodyFields f = readBodyFields(
      R"({"model":"m","stream":true,"stream\u005foptions":{"include\u005fusage":true}})");
  EXPECT_TRUE(f.stream_options.asks_usage);
  EXPECT_FALSE(canAskForUsage(f));
}

TEST(StreamOptions, LeavesBodiesThatAlreadyAskOrCannotBeEdited) {
  for (
      const char* body : {
          R"({"model":"m","stream":true,"stream_options":{"include_usage":true}})",
          R"({"model":"m","stream":false})",
          R"({"model":"m"})",
          R"({"model":"m","stream":true,"stream_options":"yes"})",
          R"({"model":"m","stream":true,"stream_options":[]})",
          R"({"model":"m","stream":true,"stream_options":{"include_usage":{"a":1}}})",
          R"({"model":"m","stream":true,"stream_options":{"include_usage":false,"include_usage":false}})",
      }) {
    const BodyFields f = readBodyFields(body);
    ASSERT_TRUE(f.ok) << body;
    EXPECT_FALSE(canAskForUsage(f)) << body;
    // Asked anyway, only the model changes.
    EXPECT_EQ(rewriteUpstreamBody(body, f, "m", true), body);
  }
}

TEST(StreamOptions, ModelAndUsageEditsInEitherOrder) {
  const std::string body =
      R"({"stream_options":{"k":"\"include_usage\":false"},"stream":true,"model":"a\"b"})";
  EXPECT_EQ(
      asked(body),
      R"({"stream_options":{"include_usage":true,"k":"\"include_usage\":false"},"stream":true,"model":"up"})");
  const BodyFields f = readBodyFields(body);
  EXPECT_EQ(rewriteUpstreamBody(body, f, "x\"y", false),
            R"({"stream_options":{"k":"\"include_usage\":false"},"stream":true,"model":"x\"y"})");
}

}  // namespace
}  // namespace slotgate::gateway
