#include "conf/json_escape.h"

#include <random>
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

// The same escaping through the raw writer, with the room it promises to need at most.
std::string written(std::string_view s) {
  std::string out(kJsonEscapeMaxGrowth * s.size(), '\0');
  out.resize(static_cast<size_t>(writeJsonEscaped(out.data(), s) - out.data()));
  return out;
}

// The escaping as specified, one byte at a time (the scan 8 bytes at a time must agree).
std::string reference(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const auto at = [&](size_t k) {
      return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
    };
    const auto cont = [&](size_t k, int lo = 0x80, int hi = 0xBF) {
      return i + k < s.size() && at(k) >= lo && at(k) <= hi;
    };
    size_t len = 0;
    if (c >= 0xC2 && c <= 0xDF && cont(1)) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF &&
               cont(1, c == 0xE0 ? 0xA0 : 0x80, c == 0xED ? 0x9F : 0xBF) && cont(2)) {
      len = 3;
    } else if (c >= 0xF0 && c <= 0xF4 &&
               cont(1, c == 0xF0 ? 0x90 : 0x80, c == 0xF4 ? 0x8F : 0xBF) && cont(2) && cont(3)) {
      len = 4;
    }
    if (len > 0) {
      out.append(s.substr(i, len));
      i += len;
      continue;
    }
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\b') {
      out += "\\b";
    } else if (c == '\f') {
      out += "\\f";
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else if (c >= 0x80) {
      out += "\xEF\xBF\xBD";
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
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

TEST(JsonEscapeTest, EveryByteAtEveryOffsetOfEveryLength) {
  // Plain runs are scanned 16 bytes at a time (8 for short strings), the last partial block
  // as an overlapping full one: each special byte must be caught wherever it sits, in strings
  // of every length around those steps, and 0x1f/0x20, 0x7f/0x80 at the edges.
  for (int c = 0; c < 256; ++c) {
    const std::string one = escaped(std::string(1, static_cast<char>(c)));
    const bool verbatim = one == std::string(1, static_cast<char>(c)) && c < 0x80;
    for (size_t length = 1; length <= 40; ++length) {
      for (size_t at = 0; at < length; ++at) {
        std::string s(length, 'x');
        s[at] = static_cast<char>(c);
        const std::string want = std::string(at, 'x') + one + std::string(length - 1 - at, 'x');
        ASSERT_EQ(escaped(s), want) << "byte " << c << " at " << at << " of " << length;
        ASSERT_EQ(written(s), want) << "byte " << c << " at " << at << " of " << length;
        ASSERT_EQ(jsonVerbatimRun(s), verbatim ? length : at)
            << "byte " << c << " at " << at << " of " << length;
      }
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

TEST(JsonEscapeTest, RawWriterAndAppendAgreeWithTheByteByByteReference) {
  // Lengths around the 8-byte steps and the overlapping last word, with special bytes,
  // valid and broken UTF-8 sequences placed at random, a few of them cut at the end.
  const std::string pieces[] = {"a",
                                "Z",
                                "\"",
                                "\\",
                                "\n",
                                "\x01",
                                "\x1f",
                                std::string(1, '\0'),
                                "\x7f",
                                "\xC3\xA9",
                                "\xE2\x82\xAC",
                                "\xF0\x9F\x98\x80",
                                "\xC3",
                                "\xE2\x82",
                                "\xF0\x9F\x98",
                                "\xFF",
                                "\xC0\xAF",
                                "\xED\xA0\x80",
                                "\xF4\x90\x80\x80",
                                "plain-run"};
  std::mt19937 random(12);  // fixed: the same strings every run
  for (int round = 0; round < 20000; ++round) {
    std::string s;
    const size_t parts = random() % 12;
    for (size_t i = 0; i < parts; ++i) {
      s += random() % 3 == 0 ? pieces[random() % std::size(pieces)] : std::string("x");
    }
    const std::string want = reference(s);
    ASSERT_EQ(escaped(s), want) << "round " << round;
    ASSERT_EQ(written(s), want) << "round " << round;
    std::string prefixed = "kept:";
    appendJsonEscaped(prefixed, s);
    ASSERT_EQ(prefixed, "kept:" + want);
  }
}

TEST(JsonEscapeTest, EmptyAndDefaultViewsWriteNothing) {
  char out[1] = {'!'};
  EXPECT_EQ(writeJsonEscaped(out, std::string_view()), out);
  EXPECT_EQ(writeJsonEscaped(out, ""), out);
  EXPECT_EQ(out[0], '!');
  EXPECT_EQ(escaped(std::string_view()), "");
}

}  // namespace
}  // namespace slotgate::conf
