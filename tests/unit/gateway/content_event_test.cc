// Which stream events count as content for time to first token and chunk gaps (issue 14).
#include "gateway/proxy/content_event.h"

#include <gtest/gtest.h>

#include "gateway/proxy/usage_parser.h"

namespace slotgate::gateway {
namespace {

TEST(ContentEvent, OpenAiChunksWithOutput) {
  constexpr auto kO = conf::ProviderType::kOpenAI;
  EXPECT_TRUE(isContentEvent(kO, "", R"({"choices":[{"delta":{"content":"hi"}}]})"));
  EXPECT_TRUE(isContentEvent(kO, "", R"({"choices":[{"delta":{"content" : "\"x"}}]})"));
  EXPECT_TRUE(isContentEvent(kO, "", R"({"choices":[{"text":"hi","index":0}]})"));
  EXPECT_TRUE(isContentEvent(kO, "", R"({"choices":[{"delta":{"tool_calls":[{"index":0}]}}]})"));
  EXPECT_TRUE(isContentEvent(kO, "", R"({"choices":[{"delta":{"refusal":"no"}}]})"));
  // The opening role chunk, the finish chunk, the usage chunk and [DONE] are not content.
  EXPECT_FALSE(
      isContentEvent(kO, "", R"({"choices":[{"delta":{"role":"assistant","content":""}}]})"));
  EXPECT_FALSE(isContentEvent(kO, "", R"({"choices":[{"delta":{"content":null}}]})"));
  EXPECT_FALSE(isContentEvent(kO, "", R"({"choices":[{"delta":{},"finish_reason":"stop"}]})"));
  EXPECT_FALSE(isContentEvent(kO, "", R"({"choices":[],"usage":{"prompt_tokens":1}})"));
  EXPECT_FALSE(isContentEvent(kO, "", "[DONE]"));
  // Responses API events by name.
  EXPECT_TRUE(isContentEvent(kO, "response.output_text.delta", "{}"));
  EXPECT_FALSE(isContentEvent(kO, "response.created", R"({"response":{"text":"x"}})"));
}

TEST(ContentEvent, AnthropicContentBlockDeltas) {
  constexpr auto kA = conf::ProviderType::kAnthropic;
  EXPECT_TRUE(isContentEvent(kA, "content_block_delta", R"({"type":"content_block_delta"})"));
  EXPECT_TRUE(isContentEvent(kA, "", R"({"type":"content_block_delta","delta":{}})"));
  EXPECT_FALSE(isContentEvent(kA, "message_start", R"({"type":"message_start"})"));
  EXPECT_FALSE(isContentEvent(kA, "ping", R"({"type":"ping"})"));
}

TEST(ContentEvent, StreamUsageParserCountsContentAndSkipsNullUsage) {
  StreamUsageParser parser(conf::ProviderType::kOpenAI);
  EXPECT_EQ(
      parser.feed("data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}],"
                  "\"usage\":null}\n\n"),
      0u);
  EXPECT_EQ(parser.feed("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":null}\n\n"
                        "data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}],\"usage\":null}\n\n"),
            2u);
  EXPECT_FALSE(parser.usage().seen);
  EXPECT_EQ(parser.feed("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,"
                        "\"completion_tokens\":2}}\n\ndata: [DONE]\n\n"),
            0u);
  EXPECT_TRUE(parser.usage().seen);
  EXPECT_EQ(parser.usage().input_tokens, 10u);
  EXPECT_EQ(parser.usage().output_tokens, 2u);
}

}  // namespace
}  // namespace slotgate::gateway
