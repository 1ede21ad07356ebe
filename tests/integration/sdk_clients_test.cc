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

  // Runs one case; its JSON output, or a failure with node's stderr.
  json run(const std::string& name) {
    const std::string base = "http://127.0.0.1:" + std::to_string(gateway_.port());
    Process node({"node", kSdkDir + "/sdk_calls.mjs", name, base, kClientKey});
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

}  // namespace
}  // namespace slotgate::testing
