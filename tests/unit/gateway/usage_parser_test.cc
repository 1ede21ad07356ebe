#include "gateway/proxy/usage_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>

#include "gateway/event/spare_strings.h"

namespace slotgate::gateway {
namespace {

using metrics::TokenUsage;

// Event shapes as in the providers' API references.
const std::string kOpenAIChatStream =
    R"(data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null})"
    "\n\n"
    R"(data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":"What usage?"},"logprobs":null,"finish_reason":null}],"usage":null})"
    "\n\n"
    R"(data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null})"
    "\n\n"
    R"(data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[],"usage":{"prompt_tokens":1200,"completion_tokens":12,"total_tokens":1212,"prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}})"
    "\n\n"
    "data: [DONE]\n\n";

const std::string kAnthropicStream =
    "event: message_start\n"
    R"(data: {"type": "message_start", "message": {"id": "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", "type": "message", "role": "assistant", "content": [], "model": "claude-sonnet-4-20250514", "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 25, "cache_creation_input_tokens": 2048, "cache_read_input_tokens": 512, "output_tokens": 1}}})"
    "\n\n"
    "event: content_block_start\n"
    R"(data: {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})"
    "\n\n"
    "event: ping\n"
    R"(data: {"type": "ping"})"
    "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}})"
    "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "! Token usage is low."}})"
    "\n\n"
    "event: content_block_stop\n"
    R"(data: {"type": "content_block_stop", "index": 0})"
    "\n\n"
    "event: message_delta\n"
    R"(data: {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence":null}, "usage": {"output_tokens": 15}})"
    "\n\n"
    "event: message_stop\n"
    R"(data: {"type": "message_stop"})"
    "\n\n";

const std::string kOpenAIResponsesStream =
    "event: response.created\n"
    R"(data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_67c9fdcecf488190bdd9a0409de3a1ec","object":"response","created_at":1741290958,"status":"in_progress","error":null,"model":"gpt-4.1-2025-04-14","output":[],"usage":null,"user":null,"metadata":{}}})"
    "\n\n"
    "event: response.output_text.delta\n"
    R"(data: {"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_67c9fdcf37fc","output_index":0,"content_index":0,"delta":"Hi"})"
    "\n\n"
    "event: response.completed\n"
    R"(data: {"type":"response.completed","sequence_number":2,"response":{"id":"resp_67c9fdcecf488190bdd9a0409de3a1ec","object":"response","created_at":1741290958,"status":"completed","error":null,"model":"gpt-4.1-2025-04-14","output":[{"id":"msg_67c9fdcf37fc","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hi","annotations":[]}]}],"usage":{"input_tokens":37,"input_tokens_details":{"cached_tokens":5},"output_tokens":11,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":48},"user":null,"metadata":{}}})"
    "\n\n";

TokenUsage streamUsage(conf::ProviderType format, std::string_view stream,
                       const std::vector<size_t>& cuts) {
  StreamUsageParser parser(format);
  size_t pos = 0;
  for (size_t cut : cuts) {
    parser.feed(stream.substr(pos, cut - pos));
    pos = cut;
  }
  parser.feed(stream.substr(pos));
  return parser.usage();
}

TokenUsage streamWhole(conf::ProviderType format, std::string_view stream) {
  return streamUsage(format, stream, {});
}

std::string toCrlf(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

void expectSameUnderAnySplit(conf::ProviderType format, const std::string& stream,
                             const TokenUsage& expected) {
  std::vector<size_t> every;
  for (size_t i = 1; i < stream.size(); ++i) {
    every.push_back(i);
  }
  EXPECT_EQ(streamUsage(format, stream, every), expected);
  std::mt19937 rng(7);
  for (int round = 0; round < 100; ++round) {
    std::vector<size_t> cuts;
    for (size_t pos = rng() % 64; pos < stream.size(); pos += 1 + rng() % 200) {
      if (pos > 0) {
        cuts.push_back(pos);
      }
    }
    EXPECT_EQ(streamUsage(format, stream, cuts), expected) << round;
  }
}

TEST(StreamUsageParserTest, OpenAIChatIncludeUsage) {
  const TokenUsage expected{1200, 12, 1024, 0, true};
  EXPECT_EQ(streamWhole(conf::ProviderType::kOpenAI, kOpenAIChatStream), expected);
  expectSameUnderAnySplit(conf::ProviderType::kOpenAI, kOpenAIChatStream, expected);
  expectSameUnderAnySplit(conf::ProviderType::kOpenAI, toCrlf(kOpenAIChatStream), expected);
}

TEST(StreamUsageParserTest, OpenAIChatWithoutUsageIsNotSeen) {
  std::string stream = kOpenAIChatStream;
  stream.erase(
      stream.find("data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\","
                  "\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":"
                  "\"fp_44709d6fcb\",\"choices\":[],"));
  const TokenUsage usage = streamWhole(conf::ProviderType::kOpenAI, stream);
  EXPECT_FALSE(usage.seen);
  EXPECT_EQ(usage.input_tokens, 0u);
}

TEST(StreamUsageParserTest, AnthropicMessageStartAndDelta) {
  const TokenUsage expected{25, 15, 512, 2048, true};
  EXPECT_EQ(streamWhole(conf::ProviderType::kAnthropic, kAnthropicStream), expected);
  expectSameUnderAnySplit(conf::ProviderType::kAnthropic, kAnthropicStream, expected);
  expectSameUnderAnySplit(conf::ProviderType::kAnthropic, toCrlf(kAnthropicStream), expected);
}

TEST(StreamUsageParserTest, AnthropicDeltaWithInputFieldsOverwrites) {
  std::string stream = kAnthropicStream;
  const std::string old_delta = R"("usage": {"output_tokens": 15})";
  stream.replace(
      stream.find(old_delta), old_delta.size(),
      R"("usage": {"input_tokens": 30, "cache_read_input_tokens": 600, "output_tokens": 40})");
  EXPECT_EQ(streamWhole(conf::ProviderType::kAnthropic, stream),
            (TokenUsage{30, 40, 600, 2048, true}));
  // Only message_start so far (a stream cut before message_delta).
  const std::string head =
      kAnthropicStream.substr(0, kAnthropicStream.find("event: content_block_start"));
  EXPECT_EQ(streamWhole(conf::ProviderType::kAnthropic, head),
            (TokenUsage{25, 1, 512, 2048, true}));
}

TEST(StreamUsageParserTest, OpenAIResponsesCompleted) {
  const TokenUsage expected{37, 11, 5, 0, true};
  EXPECT_EQ(streamWhole(conf::ProviderType::kOpenAI, kOpenAIResponsesStream), expected);
  expectSameUnderAnySplit(conf::ProviderType::kOpenAI, kOpenAIResponsesStream, expected);
}

TEST(StreamUsageParserTest, OversizedEventDroppedUsageStillRead) {
  std::string stream = "data: {\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2},\"x\":\"" +
                       std::string(3000, 'a') + "\"}\n\n" + kOpenAIChatStream;
  StreamUsageParser parser(conf::ProviderType::kOpenAI, /*max_event_bytes=*/2048);
  parser.feed(stream);
  EXPECT_EQ(parser.droppedEvents(), 1u);
  EXPECT_EQ(parser.usage(), (TokenUsage{1200, 12, 1024, 0, true}));
}

TEST(StreamUsageParserTest, GarbageIsIgnored) {
  StreamUsageParser parser(conf::ProviderType::kOpenAI);
  parser.feed("data: {\"usage\": {\"prompt_tokens\": \n\n");      // truncated JSON
  parser.feed("data: usage usage\n\n");                           // not JSON
  parser.feed("data: {\"usage\": \"none\"}\n\n");                 // wrong type
  parser.feed("data: {\"usage\": {\"prompt_tokens\": -3}}\n\n");  // negative
  parser.feed("data: [\"usage\"]\n\n");                           // not an object
  constexpr char kBinary[] = "\0\xff\xfe usage \n\n\x01";
  parser.feed(std::string_view(kBinary, sizeof(kBinary) - 1));
  EXPECT_FALSE(parser.usage().seen);
  EXPECT_EQ(parser.usage(), TokenUsage{});
  std::mt19937 rng(3);
  std::string noise;
  for (int i = 0; i < 100000; ++i) {
    noise += static_cast<char>(rng());
  }
  noise += "\n\ndata: {\"usage\":{\"x\":1}}\n\n";
  parser.feed(noise);
  EXPECT_FALSE(parser.usage().seen);
}

// Non-streaming bodies.

TokenUsage jsonUsage(conf::ProviderType format, std::string_view body, size_t chunk = 7,
                     size_t max_bytes = JsonUsageParser::kDefaultMaxBytes) {
  JsonUsageParser parser(format, max_bytes);
  for (size_t pos = 0; pos < body.size(); pos += chunk) {
    parser.feed(body.substr(pos, chunk));
  }
  return parser.finish();
}

TEST(JsonUsageParserTest, OpenAIChatCompletion) {
  const std::string body =
      R"({"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,"model":"gpt-4.1-2025-04-14","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! \"usage\": {\"prompt_tokens\": 99}","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":3,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default"})";
  EXPECT_EQ(jsonUsage(conf::ProviderType::kOpenAI, body), (TokenUsage{19, 10, 3, 0, true}));
  EXPECT_EQ(jsonUsage(conf::ProviderType::kOpenAI, body, 1), (TokenUsage{19, 10, 3, 0, true}));
}

// The kept body is built in a spare buffer of the thread and given back when the parser is
// done, by finish() or by its destructor (issue 12: no allocation per response).
TEST(JsonUsageParserTest, TheKeptBodysBufferGoesBackToTheThreadsSpares) {
  std::thread([] {
    const std::string body =
        R"({"id":"x","usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}})";
    JsonUsageParser first(conf::ProviderType::kOpenAI);
    first.feed(body);
    EXPECT_EQ(spareStringsOnThisThread(), 0u);
    EXPECT_EQ(first.finish().output_tokens, 4u);
    EXPECT_EQ(spareStringsOnThisThread(), 1u);
    {
      JsonUsageParser second(conf::ProviderType::kOpenAI);  // takes it
      EXPECT_EQ(spareStringsOnThisThread(), 0u);
      second.feed(body);
    }  // never finished: given back all the same
    EXPECT_EQ(spareStringsOnThisThread(), 1u);
  }).join();
}

TEST(JsonUsageParserTest, OpenAIEmbeddings) {
  const std::string body =
      R"({"object":"list","data":[{"object":"embedding","embedding":[0.0023064255,-0.009327292,-0.0028842222],"index":0}],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}})";
  EXPECT_EQ(jsonUsage(conf::ProviderType::kOpenAI, body), (TokenUsage{8, 0, 0, 0, true}));
}

TEST(JsonUsageParserTest, OpenAIResponses) {
  const std::string body =
      R"({"id":"resp_67ccd3a9da748190baa7f1570fe91ac6","object":"response","created_at":1741476777,"status":"completed","error":null,"model":"gpt-4.1-2025-04-14","output":[{"type":"message","id":"msg_67ccd3acc8d4","status":"completed","role":"assistant","content":[{"type":"output_text","text":"The image depicts a scenic landscape.","annotations":[]}]}],"parallel_tool_calls":true,"reasoning":{"effort":null,"summary":null},"store":true,"temperature":1.0,"usage":{"input_tokens":328,"input_tokens_details":{"cached_tokens":0},"output_tokens":52,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":380},"user":null,"metadata":{}})";
  EXPECT_EQ(jsonUsage(conf::ProviderType::kOpenAI, body), (TokenUsage{328, 52, 0, 0, true}));
}

TEST(JsonUsageParserTest, AnthropicMessages) {
  const std::string body =
      R"({"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[{"type":"text","text":"Hi! My name is Claude."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":2095,"output_tokens":503,"cache_creation_input_tokens":2051,"cache_read_input_tokens":7,"cache_creation":{"ephemeral_5m_input_tokens":2051,"ephemeral_1h_input_tokens":0},"service_tier":"standard"}})";
  EXPECT_EQ(jsonUsage(conf::ProviderType::kAnthropic, body),
            (TokenUsage{2095, 503, 7, 2051, true}));
}

TEST(JsonUsageParserTest, OversizedBodyReadsUsageFromTail) {
  // A 6 MiB embeddings response: over the 4 MiB cap, usage still found at the end.
  std::string body = R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":[)";
  while (body.size() < (6u << 20)) {
    body += "0.0023064255,-0.009327292,";
  }
  body += R"(0.1]},{"note":"\"usage\": {\"prompt_tokens\": 1}"}],"model":"text-embedding-3-large",)"
          R"("usage" : {"prompt_tokens":4096,"total_tokens":4096}})";
  JsonUsageParser parser(conf::ProviderType::kOpenAI);
  for (size_t pos = 0; pos < body.size(); pos += 65536) {
    parser.feed(std::string_view(body).substr(pos, 65536));
  }
  EXPECT_TRUE(parser.truncated());
  EXPECT_EQ(parser.finish(), (TokenUsage{4096, 0, 0, 0, true}));
  // One huge feed behaves the same.
  JsonUsageParser one(conf::ProviderType::kOpenAI);
  one.feed(body);
  EXPECT_EQ(one.finish(), (TokenUsage{4096, 0, 0, 0, true}));
}

TEST(JsonUsageParserTest, OversizedBodySkipsEscapedUsageInStrings) {
  const std::string body =
      R"({"content":")" + std::string(3000, 'x') + R"( \"usage\": {\"input_tokens\": 5}"})";
  EXPECT_FALSE(jsonUsage(conf::ProviderType::kAnthropic, body, 100, /*max_bytes=*/1000).seen);
}

TEST(JsonUsageParserTest, SmallMaxBytesAnthropicTail) {
  const std::string body =
      R"({"content":[{"type":"text","text":")" + std::string(5000, 'y') +
      R"("}],"usage":{"input_tokens":10,"output_tokens":20,"cache_read_input_tokens":30,"cache_creation_input_tokens":40}})";
  EXPECT_EQ(jsonUsage(conf::ProviderType::kAnthropic, body, 333, 1000),
            (TokenUsage{10, 20, 30, 40, true}));
}

TEST(JsonUsageParserTest, GarbageAndMissingUsage) {
  EXPECT_FALSE(jsonUsage(conf::ProviderType::kOpenAI, "").seen);
  EXPECT_FALSE(jsonUsage(conf::ProviderType::kOpenAI, "not json at all usage").seen);
  EXPECT_FALSE(jsonUsage(conf::ProviderType::kOpenAI, R"({"usage": null})").seen);
  EXPECT_FALSE(jsonUsage(conf::ProviderType::kOpenAI, R"({"usage": {"total_tokens": 5}})").seen);
  EXPECT_FALSE(jsonUsage(conf::ProviderType::kOpenAI, R"({"usage": {"prompt_tokens": 5)").seen);
  EXPECT_FALSE(jsonUsage(conf::ProviderType::kOpenAI, R"([1,2,3])").seen);
  EXPECT_FALSE(
      jsonUsage(conf::ProviderType::kAnthropic, R"({"error":{"type":"overloaded_error"}})").seen);
  EXPECT_FALSE(jsonUsage(conf::ProviderType::kAnthropic, std::string("\0\xff{\"usage\"", 10)).seen);
  // Truncated-body path with garbage.
  EXPECT_FALSE(
      jsonUsage(conf::ProviderType::kOpenAI, std::string(5000, '{') + "\"usage\":{", 100, 1000)
          .seen);
}

// finish() reads a whole body's usage from its tail (usage_candidate.h); these
// bodies make the tail look like usage where it is not, or is not the first.

TEST(JsonUsageParserTest, TailUsageWithSpaceAndTrailingMembers) {
  const std::string body =
      "{\n  \"id\": \"x\",\n  \"usage\" :\t{ \"prompt_tokens\": 3, \"completion_tokens\": 4 },\n"
      "  \"choices\": [{\"a\": {\"b\": [1, 2]}}],\n  \"system_fingerprint\": \"fp\"\n}\n\n";
  EXPECT_EQ(jsonUsage(conf::ProviderType::kOpenAI, body), (TokenUsage{3, 4, 0, 0, true}));
}

TEST(JsonUsageParserTest, NestedUsageIsNotTopLevel) {
  // Last "usage" nested in an object, an array, or an object with members after it.
  EXPECT_FALSE(
      jsonUsage(conf::ProviderType::kOpenAI, R"({"response":{"usage":{"prompt_tokens":9}}})").seen);
  EXPECT_FALSE(
      jsonUsage(conf::ProviderType::kOpenAI, R"({"a":1,"c":[{"usage":{"prompt_tokens":9}}]})")
          .seen);
  EXPECT_FALSE(
      jsonUsage(conf::ProviderType::kOpenAI, R"({"a":{"usage":{"prompt_tokens":9},"b":2},"c":3})")
          .seen);
  EXPECT_FALSE(
      jsonUsage(conf::ProviderType::kOpenAI, R"({"a":[{"usage":{"prompt_tokens":9}},{}]})").seen);
  EXPECT_FALSE(jsonUsage(conf::ProviderType::kOpenAI, R"([{"usage":{"prompt_tokens":9}}])").seen);
}

TEST(JsonUsageParserTest, TopLevelUsageBeforeNestedOne) {
  EXPECT_EQ(jsonUsage(conf::ProviderType::kOpenAI,
                      R"({"usage":{"prompt_tokens":1},"x":{"usage":{"prompt_tokens":9}}})"),
            (TokenUsage{1, 0, 0, 0, true}));
  EXPECT_EQ(jsonUsage(conf::ProviderType::kOpenAI,
                      R"({"usage":{"prompt_tokens":1},"c":[{"usage":{"prompt_tokens":9}}]})"),
            (TokenUsage{1, 0, 0, 0, true}));
  // A usage object holding a "usage" member of its own.
  EXPECT_EQ(jsonUsage(conf::ProviderType::kOpenAI,
                      R"({"usage":{"prompt_tokens":1,"d":{"usage":{"prompt_tokens":9}}}})"),
            (TokenUsage{1, 0, 0, 0, true}));
}

TEST(JsonUsageParserTest, UsageTextInStringsIsNotAKey) {
  // A key whose text ends in an escaped quote and "usage": `"x \"usage"` looks
  // like a "usage" key to a text search.
  EXPECT_EQ(jsonUsage(conf::ProviderType::kOpenAI,
                      R"({"usage":{"prompt_tokens":1},"x \"usage":{"prompt_tokens":7}})"),
            (TokenUsage{1, 0, 0, 0, true}));
  EXPECT_FALSE(jsonUsage(conf::ProviderType::kOpenAI, R"({"x \"usage":{"prompt_tokens":7}})").seen);
  EXPECT_EQ(jsonUsage(conf::ProviderType::kOpenAI,
                      R"({"usage":{"prompt_tokens":2},"n":"\"usage\":{\"prompt_tokens\":7}}"})"),
            (TokenUsage{2, 0, 0, 0, true}));
}

TEST(JsonUsageParserTest, DuplicateUsageKeysFirstWins) {
  EXPECT_EQ(jsonUsage(conf::ProviderType::kOpenAI,
                      R"({"usage":{"prompt_tokens":1},"usage":{"prompt_tokens":2}})"),
            (TokenUsage{1, 0, 0, 0, true}));
  EXPECT_FALSE(
      jsonUsage(conf::ProviderType::kOpenAI, R"({"usage":null,"usage":{"prompt_tokens":2}})").seen);
}

TEST(JsonUsageParserTest, TailUsageNotReadableFallsBack) {
  EXPECT_FALSE(jsonUsage(conf::ProviderType::kOpenAI, R"({"usage":{}})").seen);
  EXPECT_FALSE(jsonUsage(conf::ProviderType::kOpenAI, R"({"usage":{"prompt_tokens":-1}})").seen);
  EXPECT_FALSE(jsonUsage(conf::ProviderType::kOpenAI, R"({"usage":{"prompt_tokens":1.5}})").seen);
  EXPECT_FALSE(jsonUsage(conf::ProviderType::kOpenAI, R"({"a":1,"usage":"none"})").seen);
  // Broken JSON after the usage: the tail parse refuses it, the full parse
  // stops reading at the usage member and takes it (as it always did).
  for (const char* body :
       {R"({"usage":{"prompt_tokens":1},"x":})", R"({"usage":{"prompt_tokens":1}}})",
        R"({"usage":{"prompt_tokens":1}]})"}) {
    EXPECT_EQ(jsonUsage(conf::ProviderType::kOpenAI, body), (TokenUsage{1, 0, 0, 0, true})) << body;
  }
  // Nested usage followed by broken JSON: neither parse takes it.
  EXPECT_FALSE(
      jsonUsage(conf::ProviderType::kOpenAI, R"({"a":{"usage":{"prompt_tokens":9}}}})").seen);
  // An escaped key is only found by the full parse.
  EXPECT_EQ(jsonUsage(conf::ProviderType::kOpenAI, R"({"us\u0061ge":{"prompt_tokens":6}})"),
            (TokenUsage{6, 0, 0, 0, true}));
}

}  // namespace
}  // namespace slotgate::gateway
