#include "gateway/http1/http1_chars.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace slotgate::gateway::http1 {
namespace {

// The parser's inner loop as it was, one byte at a time: skipClass must agree everywhere.
size_t byteByByte(const unsigned char* b, size_t p, size_t limit, CharClass cls) {
  while (p < limit && is(b[p], cls)) {
    ++p;
  }
  return p;
}

const unsigned char* bytes(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

TEST(Http1Chars, SkipClassStopsAtEveryByteOutsideTheClassWhereverItSits) {
  for (const CharClass cls : {kToken, kTarget, kValue, kHost}) {
    const char inside = cls == kValue ? ' ' : 'a';
    for (int c = 0; c < 256; ++c) {
      for (size_t length = 1; length <= 40; ++length) {
        for (size_t at = 0; at < length; ++at) {
          std::string s(length, inside);
          s[at] = static_cast<char>(c);
          for (const size_t start : {size_t{0}, at / 2}) {
            ASSERT_EQ(skipClass(bytes(s), start, length, cls),
                      byteByByte(bytes(s), start, length, cls))
                << "class " << int(cls) << " byte " << c << " at " << at << " of " << length;
          }
        }
      }
    }
  }
}

TEST(Http1Chars, SkipClassAgreesOnRandomBuffersAndLimits) {
  std::mt19937 random(7);  // fixed: the same buffers every run
  for (int round = 0; round < 20000; ++round) {
    std::string s(1 + random() % 64, '\0');
    // Mostly bytes of one class, so runs get long enough for the 16-byte steps.
    for (char& c : s) {
      const unsigned r = random() % 40;
      c = r == 0 ? static_cast<char>(random() % 256) : static_cast<char>('a' + r % 26);
    }
    const size_t limit = random() % (s.size() + 1);
    const size_t start = limit == 0 ? 0 : random() % (limit + 1);
    for (const CharClass cls : {kToken, kTarget, kValue, kHost}) {
      ASSERT_EQ(skipClass(bytes(s), start, limit, cls), byteByByte(bytes(s), start, limit, cls))
          << "round " << round;
    }
  }
}

// The field-name comparison folds case with one OR per 4 or 8 bytes: for every token (the only
// input it gets) it must say what the byte-wise comparison says. Every literal the parser
// uses, every tchar at every position, in both cases around it.
TEST(Http1Chars, TokenEqualsLowerAgreesWithTheByteWiseComparison) {
  for (const std::string literal : {"host", "connection", "content-length", "transfer-encoding"}) {
    for (const bool upper : {false, true}) {
      std::string base = literal;
      if (upper) {
        for (char& c : base) {
          c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
        }
      }
      ASSERT_TRUE(tokenEqualsLower(base, literal));
      for (size_t at = 0; at < base.size(); ++at) {
        for (int c = 0; c < 256; ++c) {
          if (!is(static_cast<unsigned char>(c), kToken)) {
            continue;
          }
          std::string name = base;
          name[at] = static_cast<char>(c);
          ASSERT_EQ(tokenEqualsLower(name, literal), equalsLower(name, literal))
              << literal << " byte " << c << " at " << at;
        }
      }
      EXPECT_FALSE(tokenEqualsLower(base + "x", literal));
      EXPECT_FALSE(tokenEqualsLower(base.substr(1), literal));
    }
  }
}

}  // namespace
}  // namespace slotgate::gateway::http1
