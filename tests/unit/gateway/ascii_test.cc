#include "gateway/downstream/ascii.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace slotgate::gateway {
namespace {

// appendAsciiLower folds 8 bytes per step: every byte value at every position of every length
// up to three words must come out as asciiLower makes it, the bytes around it untouched, and
// what `out` held before kept.
TEST(Ascii, AppendAsciiLowerFoldsEveryByteWhereverItSits) {
  for (size_t length = 1; length <= 24; ++length) {
    for (size_t at = 0; at < length; ++at) {
      for (int c = 0; c < 256; ++c) {
        std::string s(length, 'Q');
        s[at] = static_cast<char>(c);
        std::string expected = "Pre";
        for (const char b : s) {
          expected.push_back(asciiLower(b));
        }
        std::string out = "Pre";
        appendAsciiLower(out, s);
        ASSERT_EQ(out, expected) << "byte " << c << " at " << at << " of " << length;
      }
    }
  }
}

// copyAsciiLower writes whole words, the last one overlapping the word before: every byte value
// at every position of every length up to three words, and not a byte past the end written.
TEST(Ascii, CopyAsciiLowerFoldsEveryByteWhereverItSits) {
  for (size_t length = 0; length <= 24; ++length) {
    for (size_t at = 0; at < std::max<size_t>(length, 1); ++at) {
      for (int c = 0; c < 256; ++c) {
        std::string s(length, 'Q');
        if (length > 0) {
          s[at] = static_cast<char>(c);
        }
        std::string expected;
        for (const char b : s) {
          expected.push_back(asciiLower(b));
        }
        expected += "#####";
        std::string out(length + 5, '#');
        copyAsciiLower(out.data(), s);
        ASSERT_EQ(out, expected) << "byte " << c << " at " << at << " of " << length;
      }
    }
  }
}

TEST(Ascii, AppendAsciiLowerOfTypicalNames) {
  std::string out;
  appendAsciiLower(out, "Content-Type");
  EXPECT_EQ(out, "content-type");
  out.clear();
  appendAsciiLower(out, "X-Request-ID_[Z]@`{");
  EXPECT_EQ(out, "x-request-id_[z]@`{");
  out.clear();
  appendAsciiLower(out, "");
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace slotgate::gateway
