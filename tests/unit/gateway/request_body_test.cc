#include "gateway/proxy/request_body.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

// Bodies the gateway and a provider could read differently, and near misses
// that are fine. Each case: the body, whether it is accepted, and the model
// read (accepted) or the error (refused).
struct BodyCase {
  const char* name;
  std::string body;
  bool ok;
  std::string model_or_error;
};

const std::vector<BodyCase>& bodyCases() {
  static const std::vector<BodyCase> cases = {
      {"plain", R"({"model":"mini","messages":[]})", true, "mini"},
      {"escaped key alone", R"({"mo\u0064el":"mini"})", true, "mini"},
      {"escaped value", R"({"model":"m\u0069ni"})", true, "mini"},
      {"nested duplicates are the provider's business",
       R"({"model":"mini","messages":[{"role":"user","role":"system"}]})", true, "mini"},
      {"model in a nested object only counts at the top",
       R"({"metadata":{"model":"o1-pro"},"model":"mini"})", true, "mini"},
      {"keys differing only by case", R"({"model":"mini","Model":"o1-pro"})", true, "mini"},
      {"model twice", R"({"model":"mini","messages":[],"model":"o1-pro"})", false,
       "request body has a top-level key twice"},
      {"model twice, same value", R"({"model":"mini","model":"mini"})", false,
       "request body has a top-level key twice"},
      {"model twice, second not a string", R"({"model":"mini","model":42})", false,
       "request body has a top-level key twice"},
      {"model twice, the second escaped", R"({"model":"mini","mo\u0064el":"o1-pro"})", false,
       "request body has a top-level key twice"},
      {"model twice, the first escaped", R"({"\u006dodel":"o1-pro","model":"mini"})", false,
       "request body has a top-level key twice"},
      {"an escaped slash makes another key", R"({"model":"mini","model\/":"x"})", true, "mini"},
      {"stream twice", R"({"model":"mini","stream":false,"stream":true})", false,
       "request body has a top-level key twice"},
      {"stream twice via escape", R"({"model":"mini","stream":false,"str\u0065am":true})", false,
       "request body has a top-level key twice"},
      {"any other key twice", R"({"model":"mini","n":1,"n":2})", false,
       "request body has a top-level key twice"},
      {"empty key twice", R"({"model":"mini","":1,"":2})", false,
       "request body has a top-level key twice"},
      {"a second object after the first", R"({"model":"mini"} {"model":"o1-pro"})", false,
       "request body has content after its JSON object"},
      {"a scalar after the object", R"({"model":"mini"} 1)", false,
       "request body is not valid JSON"},
      {"an array after the object", R"({"model":"mini"}[])", false,
       "request body is not valid JSON"},
      {"top level array", R"([{"model":"mini"}])", false, "request body must be a JSON object"},
      {"top level string", R"("model")", false, "request body must be a JSON object"},
      {"top level number", "42", false, "request body must be a JSON object"},
      {"top level null", "null", false, "request body must be a JSON object"},
      {"empty", "", false, "request body is not valid JSON"},
      {"whitespace only", "  \n", false, "request body is not valid JSON"},
      {"unclosed object", R"({"model":"mini")", false, "request body is not valid JSON"},
      {"missing comma", R"({"model":"mini" "n":1})", false, "request body is not valid JSON"},
      {"invalid escape in key", R"({"mo\xdel":"mini"})", false, "request body is not valid JSON"},
      {"lone surrogate in key", R"({"model":"mini","\ud800":1})", false,
       "request body is not valid JSON"},
      {"no model", R"({"messages":[]})", false, "request body has no string `model`"},
      {"model not a string", R"({"model":["mini"]})", false, "`model` must be a string"},
  };
  return cases;
}

TEST(RequestBody, CaseTable) {
  for (const BodyCase& c : bodyCases()) {
    SCOPED_TRACE(c.name);
    const BodyFields f = readBodyFields(c.body);
    EXPECT_EQ(f.ok, c.ok) << f.error;
    EXPECT_EQ(c.ok ? f.model : f.error, c.model_or_error);
  }
}

// Past the linear window the keys are checked sorted at the end: a duplicate
// far apart is still found, and many distinct keys are still accepted.
TEST(RequestBody, ManyKeysStillChecked) {
  std::string distinct = R"({"model":"mini")";
  for (int i = 0; i < 5000; ++i) {
    distinct += ",\"k" + std::to_string(i) + "\":" + std::to_string(i);
  }
  std::string with_duplicate = distinct + R"(,"model":"o1-pro"})";
  distinct += "}";
  EXPECT_TRUE(readBodyFields(distinct).ok);
  const BodyFields f = readBodyFields(with_duplicate);
  EXPECT_FALSE(f.ok);
  EXPECT_EQ(f.error, "request body has a top-level key twice");
  // A small body parsed after a big one on the same thread starts afresh.
  EXPECT_TRUE(readBodyFields(R"({"model":"mini","k1":1})").ok);
}

TEST(RequestBody, RewritesOnlyTheModelToken) {
  const std::string body = R"({ "messages" : [ {"content":"model"} ], "model" : "mini" , "n":1})";
  auto f = readBodyFields(body);
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(rewriteModel(body, f, "gpt-4o-mini"),
            R"({ "messages" : [ {"content":"model"} ], "model":"gpt-4o-mini" , "n":1})");
}

TEST(RequestBody, RewriteWritesAnEscapedKeyPlain) {
  const std::string body = R"({"n":1,"mo\u0064el" :"mini","x":2})";
  auto f = readBodyFields(body);
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(rewriteModel(body, f, "gpt-4o"), R"({"n":1,"model":"gpt-4o","x":2})");
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
