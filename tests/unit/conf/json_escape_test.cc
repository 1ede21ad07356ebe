#include "conf/json_escape.h"

#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace slotgate::conf {
namespace {

std::string escaped(std::string_view s) {
  std::string out;
  appendJsonEscaped(out, s);
  return out;
}

TEST(JsonEscapeTest, QuotesBackslashAndControlCharacters) {
  EXPECT_EQ(escaped("plain text"), "plain text");
  EXPECT_EQ(escaped("a\"b"), "a\\\"b");
  EXPECT_EQ(escaped("a\\b"), "a\\\\b");
  EXPECT_EQ(escaped("l1\nl2\r\t\b\f"), "l1\\nl2\\r\\t\\b\\f");
  EXPECT_EQ(escaped(std::string_view("\x01\x1f\0", 3)), "\\u0001\\u001f\\u0000");
  EXPECT_EQ(escaped("\x7f"), "\x7f");  // DEL is legal in JSON strings
}

TEST(JsonEscapeTest, EveryByteAtEveryOffsetOfALongString) {
  // Plain runs are tested 8 bytes at a time: each special byte must be caught
  // wherever it sits in such a word, and 0x1f/0x20, 0x7f/0x80 at the edges.
  for (int c = 0; c < 256; ++c) {
    const std::string one = escaped(std::string(1, static_cast<char>(c)));
    for (size_t at = 0; at < 19; ++at) {
      std::string s(19, 'x');
      s[at] = static_cast<char>(c);
      ASSERT_EQ(escaped(s), std::string(at, 'x') + one + std::string(18 - at, 'x'))
          << "byte " << c << " at " << at;
    }
  }
}

TEST(JsonEscapeTest, Utf8PassesThroughInvalidBytesBecomeReplacement) {
  EXPECT_EQ(escaped("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  const std::string kReplacement = "\xEF\xBF\xBD";
  EXPECT_EQ(escaped("a\xFF"
                    "b"),
            "a" + kReplacement + "b");
  EXPECT_EQ(escaped("\xC3"), kReplacement);                     // truncated sequence
  EXPECT_EQ(escaped("\xC0\xAF"), kReplacement + kReplacement);  // overlong
  EXPECT_EQ(escaped("\xED\xA0\x80"), kReplacement + kReplacement + kReplacement);  // surrogate
  // Whatever goes in, nlohmann reads the result back as valid JSON.
  std::string all;
  for (int c = 0; c < 256; ++c) {
    all.push_back(static_cast<char>(c));
  }
  auto j = nlohmann::json::parse("\"" + escaped(all) + "\"");
  EXPECT_EQ(j.get<std::string>().substr(0, 4), std::string("\0\x01\x02\x03", 4));
}

}  // namespace
}  // namespace slotgate::conf
