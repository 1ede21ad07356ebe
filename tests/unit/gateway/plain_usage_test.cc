#include "gateway/proxy/plain_usage.h"

#include <gtest/gtest.h>

#include <string>

#include "gateway/proxy/usage_candidate.h"
#include "gateway/proxy/usage_parser.h"

namespace slotgate::gateway {
namespace {

using metrics::TokenUsage;

// readPlainUsage on the tail of `body` that the usage parser hands it.
bool plain(std::string_view body, TokenUsage& out) {
  const size_t value = lastUsageValueOffset(body);
  return value != std::string_view::npos && readPlainUsage(body.substr(value), out);
}

// The whole usage parser (simdjson where the plain reader declines).
TokenUsage parsed(std::string_view body) {
  JsonUsageParser parser(conf::ProviderType::kOpenAI);
  parser.feed(body);
  return parser.finish();
}

// The plain reader answers `body` with `expected`, and the whole parser agrees.
void expectBothRead(std::string_view body, const TokenUsage& expected) {
  TokenUsage u;
  ASSERT_TRUE(plain(body, u)) << body;
  EXPECT_EQ(u, expected) << body;
  EXPECT_EQ(parsed(body), u) << body;
}

TEST(PlainUsage, ReadsTheShapesProvidersSend) {
  const std::string openai =
      R"({"id":"c","choices":[{"message":{"content":"usage: {}"}}],"usage":{"prompt_tokens":1200,)"
      R"("completion_tokens":12,"total_tokens":1212,"prompt_tokens_details":{"cached_tokens":1024,)"
      R"("audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0}}})";
  TokenUsage u;
  ASSERT_TRUE(plain(openai, u));
  EXPECT_EQ(u.input_tokens, 1200u);
  EXPECT_EQ(u.output_tokens, 12u);
  EXPECT_EQ(u.cache_read_tokens, 1024u);
  EXPECT_TRUE(u.seen);
  EXPECT_EQ(parsed(openai), u);

  const std::string anthropic =
      "{\"id\": \"msg\", \"stop_sequence\": null,\n \"usage\": {\"input_tokens\": 25,\n"
      " \"cache_creation_input_tokens\": 2048, \"cache_read_input_tokens\": 512,\r\n"
      " \"output_tokens\": 15 }\t}\n\n";
  expectBothRead(anthropic, TokenUsage{25, 15, 512, 2048, true});

  const std::string responses =
      R"({"object":"response","usage":{"input_tokens":37,"input_tokens_details":{"cached_tokens":5},)"
      R"("output_tokens":11,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":48}})";
  expectBothRead(responses, TokenUsage{37, 11, 5, 0, true});
}

TEST(PlainUsage, LaterCountsOverwriteEarlierOnesAndTheLargestCountFits) {
  TokenUsage u;
  ASSERT_TRUE(plain(R"({"usage":{"input_tokens":1,"prompt_tokens":9999999999999999999,)"
                    R"("input_tokens_details":{"cached_tokens":3,"cached_tokens":0}}})",
                    u));
  EXPECT_EQ(u.input_tokens, 9999999999999999999u);
  EXPECT_EQ(u.cache_read_tokens, 0u);
  EXPECT_EQ(parsed(R"({"usage":{"input_tokens":1,"prompt_tokens":9999999999999999999,)"
                   R"("input_tokens_details":{"cached_tokens":3,"cached_tokens":0}}})"),
            u);
}

// Each of these leaves the plain shape (or has no count): the reader declines and leaves
// `out` alone, and the parser's answer is simdjson's, as before the plain reader.
TEST(PlainUsage, DeclinesAnythingOutsideThePlainShape) {
  const TokenUsage untouched{7, 7, 7, 7, false};
  const char* const bodies[] = {
      R"({"usage":{"prompt_tokens":5},"x":1.5})",      // after usage: a fraction
      R"({"usage":{"prompt_tokens":5},"x":{"a":1}})",  // an object
      R"({"usage":{"prompt_tokens":5},"x":[1]})",      // an array
      R"({"usage":{"prompt_tokens":5},"x":"a\"b"})",   // an escape
      R"({"usage":{"prompt_tokens":5},"x":nul})",      // not a literal
      R"({"usage":{"prompt_tokens":5},"x":truex})",    // not a literal either
      R"({"usage":{"prompt_tokens":5},"x":1,})",       // a trailing comma
      R"({"usage":{"prompt_tokens":5},"x"})",          // no value
      R"({"a":{"usage":{"prompt_tokens":5}}})",        // nested deeper
      (R"({"usage":{"prompt_tokens":5}})"
       "x"),                                                  // not the body's end (no candidate)
      R"({"usage":{"prompt_tokens":-5}})",                    // a sign
      R"({"usage":{"prompt_tokens":5.0}})",                   // a fraction
      R"({"usage":{"prompt_tokens":5e2}})",                   // an exponent
      R"({"usage":{"prompt_tokens":05}})",                    // a leading zero
      R"({"usage":{"prompt_tokens":12345678901234567890}})",  // 20 digits
      R"({"usage":{"prompt_tokens":null}})",                  // null
      R"({"usage":{"prompt_tokens":"5"}})",                   // a string
      R"({"usage":{"prompt_tokens":[5]}})",                   // an array
      R"({"usage":{"prompt_tokens":{"n":5}}})",               // an object where a count goes
      R"({"usage":{"prompt_tokens_details":5,"prompt_tokens":5}})",  // a count where details go
      R"({"usage":{"prompt_tokens_details":{"cached_tokens":{}},"prompt_tokens":5}})",  // deeper
      R"({"usage":{"prompt_\u0074okens":5}})",                        // an escape in a key
      "{\"usage\":{\"prompt_tok\xC3\xA9ns\":5,\"input_tokens\":1}}",  // non-ASCII in a key
      R"({"usage":{"total_tokens":5}})",                              // no count the gateway reads
      R"({"usage":{}})",                                              // empty
      R"({"usage":{"prompt_tokens":5,}})",                            // a trailing comma
      R"({"usage":{"prompt_tokens" 5}})",                             // no colon
      R"({"usage":{"prompt_tokens":5 "output_tokens":1}})",           // no comma
      R"({"usage":{"prompt_tokens":5})",                              // the body's brace missing
      R"({"usage":{"prompt_tokens":5}}})",                            // one brace too many
      R"({"usage":{"prompt_tokens":5)",                               // cut
  };
  for (const char* body : bodies) {
    TokenUsage u = untouched;
    EXPECT_FALSE(plain(body, u)) << body;
    EXPECT_EQ(u, untouched) << body;
  }
  // Where simdjson reads such a body, the parser still does (the fallback is intact).
  EXPECT_EQ(parsed(R"({"usage":{"prompt_tokens":5},"x":{"a":[1.5]}})").input_tokens, 5u);
  EXPECT_EQ(parsed(R"({"usage":{"prompt_\u0074okens":5}})").input_tokens, 5u);
}

TEST(PlainUsage, PlainMembersMayFollowUsage) {
  const std::string body =
      R"({"id":"c","usage":{"prompt_tokens":5,"completion_tokens":2},"system_fingerprint":)"
      R"("fp_mock", "n": 0, "a": null,"b":true, "c" : false ,"d":""} )";
  expectBothRead(body, TokenUsage{5, 2, 0, 0, true});
}

// Keys and strings are scanned 16 bytes per step while 16 are left, the rest out of line: a
// string ending, or a special byte, in any block of a long key and near the text's end alike.
TEST(PlainUsage, StringsOfEveryLengthAndWhereTheTextEnds) {
  for (size_t length = 0; length <= 40; ++length) {
    const std::string key(length, 'k');
    const std::string body =
        R"({"usage":{")" + key + R"(":1,"prompt_tokens":2},")" + key + R"(":")" + key + R"("})";
    expectBothRead(body, TokenUsage{2, 0, 0, 0, true});
    for (size_t at = 0; at < length; ++at) {
      for (const char bad : {'\\', '\x1f', '\x80'}) {
        std::string odd = key;
        odd[at] = bad;
        const TokenUsage untouched{7, 7, 7, 7, false};
        TokenUsage u = untouched;
        const std::string in_usage = R"({"usage":{")" + odd + R"(":1,"prompt_tokens":2}})";
        EXPECT_FALSE(plain(in_usage, u)) << in_usage;
        const std::string after = R"({"usage":{"prompt_tokens":2},"s":")" + odd + R"("})";
        EXPECT_FALSE(plain(after, u)) << after;
        EXPECT_EQ(u, untouched);
      }
    }
  }
  TokenUsage u;
  EXPECT_FALSE(plain(R"({"usage":{"prompt_tokens":2},"s":"unterminated string to the end})", u));
  EXPECT_FALSE(plain(R"({"usage":{"prompt_tokens":2},"s":"x})", u));
}

TEST(PlainUsage, SpaceAndNoSpaceAlike) {
  TokenUsage a;
  TokenUsage b;
  ASSERT_TRUE(plain(R"({"usage":{"prompt_tokens":3,"output_tokens":4}})", a));
  ASSERT_TRUE(plain("{ \"usage\" : { \"prompt_tokens\" : 3 , \"output_tokens\" : 4 } } \r\n", b));
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace slotgate::gateway
