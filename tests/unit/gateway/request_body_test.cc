#include "gateway/request_body.h"

#include <gtest/gtest.h>

namespace slotgate::gateway {
namespace {

TEST(RequestBody, ReadsModelAndStream) {
  auto f = readBodyFields(R"({"model":"mini","stream":true,"messages":[{"role":"user"}]})");
  ASSERT_TRUE(f.ok) << f.error;
  EXPECT_EQ(f.model, "mini");
  EXPECT_TRUE(f.stream);
  f = readBodyFields(R"({"messages":[],"model":"gpt-4o"})");
  ASSERT_TRUE(f.ok);
  EXPECT_FALSE(f.stream);
}

TEST(RequestBody, RefusesBadBodies) {
  EXPECT_FALSE(readBodyFields("not json").ok);
  EXPECT_FALSE(readBodyFields("[1,2]").ok);
  EXPECT_FALSE(readBodyFields(R"({"messages":[]})").ok);
  EXPECT_FALSE(readBodyFields(R"({"model":42})").ok);
  EXPECT_FALSE(readBodyFields(R"({"model":"x")").ok);
  EXPECT_FALSE(readBodyFields("").ok);
  EXPECT_EQ(readBodyFields(R"({"model":42})").error, "`model` must be a string");
}

TEST(RequestBody, RewritesOnlyTheModelToken) {
  const std::string body = R"({ "messages" : [ {"content":"model"} ], "model" : "mini" , "n":1})";
  auto f = readBodyFields(body);
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(rewriteModel(body, f, "gpt-4o-mini"),
            R"({ "messages" : [ {"content":"model"} ], "model" : "gpt-4o-mini" , "n":1})");
}

TEST(RequestBody, RewriteEscapesAndUnescapes) {
  const std::string body = R"({"model":"a\"b","x":1})";
  auto f = readBodyFields(body);
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(f.model, "a\"b");
  EXPECT_EQ(rewriteModel(body, f, "c\"d"), R"({"model":"c\"d","x":1})");
}

}  // namespace
}  // namespace slotgate::gateway
