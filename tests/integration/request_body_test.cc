// slotgate end to end, unambiguous request bodies (SPEC section 3, issue 9): a body that the
// gateway and a provider could read differently — a top-level key twice, also when one is
// \u-escaped, or content after the object — is answered 400 invalid_request in the caller's
// format and never reaches the upstream; an accepted body reaches it with exactly one `model`.
#include <gtest/gtest.h>

#include "tests/integration/gateway_fixture.h"

namespace slotgate::testing {
namespace {

using nlohmann::json;

class RequestBody : public ::testing::Test {
 protected:
  RequestBody() : gateway_(standardConfig(mock_)) {}

  MockProvider mock_;
  Gateway gateway_;
};

// team-b may use only claude-*: each body below names claude-test first and gpt-test (which
// team-b may not use) or a stream flag a second time.
TEST_F(RequestBody, DuplicateTopLevelKeysAreRefusedAndNothingIsForwarded) {
  const Headers anthropic = {{"Content-Type", "application/json"},
                             {"anthropic-version", "2023-06-01"},
                             {"x-api-key", kOtherClientKey}};
  const std::vector<std::string> bodies = {
      R"({"model":"claude-test","max_tokens":8,"messages":[],"model":"gpt-test"})",
      R"({"model":"claude-test","max_tokens":8,"messages":[],"mo\u0064el":"gpt-test"})",
      R"({"\u006dodel":"claude-test","max_tokens":8,"messages":[],"model":"gpt-test"})",
      R"({"model":"claude-test","max_tokens":8,"stream":false,"messages":[],"stream":true})",
      R"({"model":"claude-test","max_tokens":8,"messages":[]} {"model":"gpt-test"})",
  };
  for (const std::string& body : bodies) {
    SCOPED_TRACE(body);
    const HttpResponse response = request("POST", gateway_.url("/v1/messages"), anthropic, body);
    EXPECT_EQ(response.status, 400) << response.body;
    const json error = response.json();
    ASSERT_TRUE(error.is_object()) << response.body;
    EXPECT_EQ(error["type"], "error");
    EXPECT_EQ(error["error"]["type"], "invalid_request_error");
  }
  // The same on an OpenAI path, in the OpenAI format.
  const HttpResponse openai = gateway_.post(
      "/v1/chat/completions", R"({"model":"gt","messages":[],"model":"claude-test"})");
  EXPECT_EQ(openai.status, 400) << openai.body;
  EXPECT_EQ(openai.json()["error"]["code"], "invalid_request") << openai.body;
  EXPECT_EQ(openai.json()["error"]["type"], "invalid_request_error") << openai.body;
  EXPECT_EQ(mock_.stats()["requests"], 0);
}

// A model key written with an escape is still the one model: it is rewritten, and the body the
// provider reads has exactly one `model`, the target's.
TEST_F(RequestBody, TheUpstreamBodyCarriesExactlyOneModel) {
  const HttpResponse response =
      gateway_.post("/v1/chat/completions",
                    R"({"mo\u0064el":"gt","messages":[{"role":"user","content":"model"}],"n":1})");
  ASSERT_EQ(response.status, 200) << response.body;
  const std::string forwarded = mock_.stats()["last_request"]["body"].get<std::string>();
  const json parsed = json::parse(forwarded);
  EXPECT_EQ(parsed["model"], "gpt-upstream") << forwarded;
  EXPECT_EQ(occurrences(forwarded, "\"model\":"), 1u) << forwarded;
  EXPECT_EQ(occurrences(forwarded, "mo\\u0064el"), 0u) << forwarded;
  EXPECT_EQ(parsed["n"], 1);
}

}  // namespace
}  // namespace slotgate::testing
