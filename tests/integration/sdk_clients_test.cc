// The real OpenAI (6.x) and Anthropic (1.x) Node SDKs through the real binary: each test runs
// one case of tests/sdk/sdk_calls.mjs (node) against slotgate in front of the mock provider and
// checks what the SDK made of the answer. The SDKs are pinned in tests/sdk/package.json and
// installed by `npm ci` in test.sh.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/integration/gateway_fixture.h"

namespace slotgate::testing {
namespace {

using nlohmann::json;

const std::string kSdkDir = std::string(SLOTGATE_SOURCE_DIR) + "/tests/sdk";

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

class SdkClients : public ::testing::Test {
 protected:
  SdkClients() : gateway_(standardConfig(mock_)) {}

  void SetUp() override {
    ASSERT_TRUE(exists(kSdkDir + "/node_modules/openai/package.json") &&
                exists(kSdkDir + "/node_modules/@anthropic-ai/sdk/package.json"))
        << "the SDKs are not installed: run `npm ci --prefix tests/sdk` (test.sh does)";
  }

  // Runs one case with the client key `key`; its JSON output, or a failure with node's stderr.
  json run(const std::string& name, const std::string& key = kClientKey) {
    const std::string base = "http://127.0.0.1:" + std::to_string(gateway_.port());
    Process node({"node", kSdkDir + "/sdk_calls.mjs", name, base, key});
    const std::optional<int> code = node.waitExit(90s);
    EXPECT_EQ(code, 0) << name << ": " << node.stderrText();
    const json out = json::parse(node.stdoutText(), nullptr, false);
    EXPECT_TRUE(out.is_object()) << name << ": " << node.stdoutText() << node.stderrText();
    return out.is_object() ? out : json::object();
  }

  MockProvider mock_;
  Gateway gateway_;
};

TEST_F(SdkClients, ModelsRetrieve) {
  const json model = run("models-retrieve");
  EXPECT_EQ(model["id"], "gt");
  EXPECT_EQ(model["object"], "model");
  EXPECT_EQ(model["owned_by"], "slotgate");
  const json missing = run("models-retrieve-missing");
  EXPECT_EQ(missing["class"], "NotFoundError");
  EXPECT_EQ(missing["status"], 404);
  EXPECT_EQ(missing["code"], "model_not_found");
  EXPECT_TRUE(missing["requestID"].is_string()) << missing.dump();
}

TEST_F(SdkClients, MessagesCountTokens) {
  EXPECT_EQ(run("count-tokens")["input_tokens"], 10);
  const json upstream = mock_.stats()["last_request"];
  EXPECT_EQ(upstream["path"], "/v1/messages/count_tokens");
  EXPECT_EQ(json::parse(upstream["body"].get<std::string>())["model"], "claude-upstream");
}

TEST_F(SdkClients, ResponsesStreamFinalResponse) {
  const json out = run("responses-stream");
  EXPECT_EQ(out["status"], "completed");
  EXPECT_EQ(out["output_text"], "tok0 tok1 tok2 ");
  EXPECT_EQ(out["input_tokens"], 10);
  EXPECT_EQ(out["output_tokens"], 3);
  const json events = {"response.created",           "response.in_progress",
                       "response.output_item.added", "response.content_part.added",
                       "response.output_text.delta", "response.output_text.delta",
                       "response.output_text.delta", "response.output_text.done",
                       "response.content_part.done", "response.output_item.done",
                       "response.completed"};
  EXPECT_EQ(out["events"], events);
  // The gateway read the stream's usage on the way.
  const auto lines = gateway_.waitAccessLines(1);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["path"], "/v1/responses");
  EXPECT_EQ(lines.back()["output_tokens"], 3);
}

TEST_F(SdkClients, AnthropicErrorCarriesTheRequestId) {
  const json err = run("anthropic-error");
  EXPECT_EQ(err["class"], "NotFoundError");
  EXPECT_EQ(err["status"], 404);
  EXPECT_EQ(err["type"], "not_found_error");
  ASSERT_TRUE(err["requestID"].is_string()) << err.dump();
  EXPECT_FALSE(err["requestID"].get<std::string>().empty());
  // The id the SDK saw is the one the gateway logged for that request.
  const auto lines = gateway_.waitAccessLines(1);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["request_id"], err["requestID"]);
  const json ok = run("anthropic-message");
  EXPECT_EQ(ok["model"], "claude-upstream");
  EXPECT_TRUE(ok["request_id"].is_string()) << ok.dump();
}

// Early answers reach the SDKs' upload paths (SPEC section 3, lingering close): an 11 MiB
// request body over max_request_body (10 MiB here), or sent with a wrong key, is answered
// 413 / 401 before the gateway read it. The SDK must surface that status as an API error,
// never as a connection error (EPIPE/ECONNRESET on its upload), which it would retry by
// uploading the body again. The SDKs run with their default retries (2) here, so a
// connection error would show up as more than one request at the gateway.
class SdkEarlyAnswers : public SdkClients {
 protected:
  // request_total counts every answer, early ones included; the SDK saw its answer, so a
  // request it made is counted by the time node exits.
  void expectOneRequest() {
    EXPECT_TRUE(eventually([&] { return gateway_.metricValue("request_total").value_or(0) >= 1; }));
    EXPECT_EQ(gateway_.metricValue("request_total").value_or(0), 1) << gateway_.metricsText();
    EXPECT_EQ(mock_.stats()["requests"], 0);
  }
};

TEST_F(SdkEarlyAnswers, OpenAiUploadOverTheLimitGets413) {
  const json err = run("openai-upload");
  EXPECT_EQ(err["class"], "APIError") << err.dump();  // the SDK has no class of its own for 413
  EXPECT_EQ(err["status"], 413) << err.dump();
  EXPECT_EQ(err["code"], "request_too_large") << err.dump();
  expectOneRequest();
}

TEST_F(SdkEarlyAnswers, OpenAiUploadWithAWrongKeyGets401) {
  const json err = run("openai-upload", "sk-wrong-key-000");
  EXPECT_EQ(err["class"], "AuthenticationError") << err.dump();
  EXPECT_EQ(err["status"], 401) << err.dump();
  EXPECT_EQ(err["code"], "invalid_api_key") << err.dump();
  expectOneRequest();
}

TEST_F(SdkEarlyAnswers, AnthropicUploadOverTheLimitGets413) {
  const json err = run("anthropic-upload");
  EXPECT_EQ(err["class"], "ContentTooLargeError") << err.dump();
  EXPECT_EQ(err["status"], 413) << err.dump();
  EXPECT_EQ(err["type"], "request_too_large") << err.dump();
  EXPECT_TRUE(err["requestID"].is_string()) << err.dump();
  expectOneRequest();
}

TEST_F(SdkEarlyAnswers, AnthropicUploadWithAWrongKeyGets401) {
  const json err = run("anthropic-upload", "sk-wrong-key-000");
  EXPECT_EQ(err["class"], "AuthenticationError") << err.dump();
  EXPECT_EQ(err["status"], 401) << err.dump();
  EXPECT_EQ(err["type"], "authentication_error") << err.dump();
  expectOneRequest();
}

}  // namespace
}  // namespace slotgate::testing
